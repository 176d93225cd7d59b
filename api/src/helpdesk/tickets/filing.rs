//! Filing a ticket through the help form: the form checked whole, its files stored, the ticket
//! numbered and recorded with its first log entry, audit event and acknowledgement e-mail.

use axum::{extract::Multipart, http::StatusCode};
use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, Statement,
};

use entity::{
    helpdesk_attachment, helpdesk_ticket, helpdesk_topic,
    helpdesk_vocabulary::{EventKind, Priority, Severity, TicketLevel, TicketState},
    school, ugel,
};

use super::detail::read_as;
use crate::{
    auth::{Principal, policy::Unit},
    domain::{CellPhone, CodigoModular, Email},
    error::{ApiError, ErrorCode, Fields, Result},
    helpdesk::{
        HelpdeskConfig, access,
        dto::{TicketForm, TicketView},
        links::Links,
        mail::{self, Notice},
        routing,
        rules::{self, MAX_TEXT, text},
    },
    provisioning::files::{Part, Upload},
    record::{AuditAction, Change, Event, TicketStep, record},
    state::AppState,
};

/// Files sent with a ticket, at most.
pub const MAX_ATTACHMENTS: usize = 3;

/// The part files travel in.
pub const ATTACHMENT: Part = Part {
    field: "attachment",
    of: "adjunto",
    subject: "El archivo adjunto",
    default_name: "adjunto",
};

/// The unit a ticket is filed in: the IE of the código modular given, or the requester's IE (or
/// UGEL, or DRE).
struct Place {
    school: Option<school::Model>,
    ugel_id: Option<i64>,
    dre_id: Option<i64>,
}

async fn place(
    db: &impl ConnectionTrait,
    p: &Principal,
    codigo_modular: Option<&str>,
    fields: &mut Fields,
) -> Result<Place> {
    let codigo = codigo_modular.map(str::trim).filter(|c| !c.is_empty());
    // The IE with its UGEL, in one query.
    let with_ugel = || school::Entity::find().find_also_related(ugel::Entity);
    let school = match codigo.map(CodigoModular::parse) {
        Some(Err(message)) => {
            fields.add("codigo_modular", message);
            None
        }
        Some(Ok(codigo)) => {
            let found = with_ugel()
                .filter(school::Column::CodigoModular.eq(codigo.as_str()))
                .order_by_asc(school::Column::Anexo)
                .one(db)
                .await?;
            if found.is_none() {
                fields.add("codigo_modular", "No existe una IE con ese código modular.");
            }
            found
        }
        None => {
            let own = p.assignments.iter().find_map(|a| match a.unit {
                Unit::School { school_id, .. } => Some(school_id),
                _ => None,
            });
            match own {
                Some(id) => {
                    with_ugel()
                        .filter(school::Column::Id.eq(id))
                        .one(db)
                        .await?
                }
                None => None,
            }
        }
    };
    if let Some((school, ugel)) = school {
        return Ok(Place {
            ugel_id: Some(school.ugel_id),
            dre_id: ugel.map(|u| u.dre_id),
            school: Some(school),
        });
    }
    let (ugel_id, dre_id) = p
        .assignments
        .iter()
        .find_map(|a| match a.unit {
            Unit::Ugel { ugel_id, dre_id } => Some((Some(ugel_id), Some(dre_id))),
            Unit::Dre { dre_id } => Some((None, Some(dre_id))),
            _ => None,
        })
        .unwrap_or((None, None));
    Ok(Place {
        school: None,
        ugel_id,
        dre_id,
    })
}

/// Files a ticket: the form checked whole (422 with every wrong field), then the ticket, its
/// attachments, its first log entry, the audit event and the acknowledgement e-mail in one
/// transaction.
pub async fn file(
    state: &AppState,
    p: &Principal,
    form: TicketForm,
    uploads: Vec<Upload>,
    now: DateTime<Utc>,
) -> Result<TicketView> {
    let (db, data_dir) = (&state.db, state.config.storage.data_dir.as_path());
    let filing = check(db, p, form, &uploads).await?;
    // The number is drawn in a statement of its own, so that concurrent filings do not wait for
    // each other's transactions on the counter's row; a filing that then fails leaves a gap in
    // the numbers, never a duplicate.
    let year = now.with_timezone(&crate::time::LIMA).year();
    let number = next_number(db, year).await?;
    // The files go to disk (synced) first and are removed if the transaction fails.
    let stored = store(data_dir, &uploads).await?;
    let links = Links::new(&state.config.auth.public_base_url);
    let written = write(
        db,
        (links, &state.config.helpdesk),
        p,
        filing,
        number,
        (&uploads, &stored),
        now,
    )
    .await;
    if written.is_err() {
        remove(data_dir, &stored).await;
    }
    written
}

/// A help form checked whole.
struct Filing {
    email: Email,
    phone: CellPhone,
    extension: Option<String>,
    comment: String,
    error_code: Option<String>,
    request_id: Option<String>,
    topic: helpdesk_topic::Model,
    place: Place,
}

/// Checks the help form and its files: every wrong field in one 422.
async fn check(
    db: &impl ConnectionTrait,
    p: &Principal,
    form: TicketForm,
    uploads: &[Upload],
) -> Result<Filing> {
    let mut fields = Fields::default();
    let email = fields.check(
        "email",
        Email::parse(form.email.as_deref().unwrap_or_default()),
    );
    let phone = fields.check(
        "cell_phone",
        CellPhone::parse(form.cell_phone.as_deref().unwrap_or_default()),
    );
    let extension = extension(form.extension.as_deref(), &mut fields);
    let comment = fields.check(
        "comment",
        text(
            form.comment.as_deref(),
            MAX_TEXT,
            "Escriba su consulta o el problema que encontró.",
        ),
    );
    let error_code = fields.check("error_code", rules::code(form.error_code.as_deref()));
    if let Some(Some(c)) = &error_code
        && routing::known(c).is_none()
    {
        fields.add("error_code", "No es un código de error del SIAGIE.");
    }
    let error_code = error_code.flatten();
    let request_id = fields.check("request_id", rules::code(form.request_id.as_deref()));
    let topic = topic(
        db,
        form.topic.as_deref(),
        error_code.as_deref(),
        &mut fields,
    )
    .await?;
    if uploads.len() > MAX_ATTACHMENTS {
        fields.add("attachment", "Adjunte hasta 3 archivos.");
    }
    let place = place(db, p, form.codigo_modular.as_deref(), &mut fields).await?;
    fields.finish()?;
    let (Some(email), Some(phone), Some(comment), Some(topic)) = (email, phone, comment, topic)
    else {
        return Err(ErrorCode::ValidationFailed.into());
    };
    Ok(Filing {
        email,
        phone,
        extension,
        comment,
        error_code,
        request_id: request_id.flatten(),
        topic,
        place,
    })
}

/// The phone extension: up to 8 digits, empty is none.
fn extension(value: Option<&str>, fields: &mut Fields) -> Option<String> {
    match value.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) if e.len() <= 8 && e.chars().all(|c| c.is_ascii_digit()) => Some(e.to_owned()),
        Some(_) => {
            fields.add("extension", "El anexo tiene hasta 8 dígitos.");
            None
        }
        None => None,
    }
}

/// The topic of the form: the one chosen, an active topic of the catalogue; or, for "Report this
/// problem", the one the failed operation's code picks when none, or «otros», was chosen
/// (`routing::ROUTES`).
async fn topic(
    db: &impl ConnectionTrait,
    chosen: Option<&str>,
    error_code: Option<&str>,
    fields: &mut Fields,
) -> Result<Option<helpdesk_topic::Model>> {
    let active = |code: &str| {
        helpdesk_topic::Entity::find()
            .filter(helpdesk_topic::Column::Code.eq(code))
            .filter(helpdesk_topic::Column::Active.eq(true))
    };
    let chosen = chosen.map(str::trim).filter(|t| !t.is_empty());
    let routed = match (chosen, error_code.and_then(routing::topic_for)) {
        (None | Some("otros"), Some(code)) => active(code).one(db).await?,
        _ => None,
    };
    Ok(match chosen {
        _ if routed.is_some() => routed,
        None => {
            fields.add("topic", "Elija el tema de su consulta.");
            None
        }
        Some(code) => {
            let found = active(code).one(db).await?;
            if found.is_none() {
                fields.add(
                    "topic",
                    "El tema no existe en el catálogo de la mesa de ayuda.",
                );
            }
            found
        }
    })
}

/// Records a ticket's stored files, in the transaction that writes what they came with.
pub async fn attach(
    txn: &impl ConnectionTrait,
    ticket_id: i64,
    (uploads, stored): (&[Upload], &[String]),
    now: DateTime<Utc>,
) -> Result<()> {
    for (upload, path) in uploads.iter().zip(stored) {
        helpdesk_attachment::ActiveModel {
            ticket_id: Set(ticket_id),
            name: Set(upload.name.clone()),
            path: Set(path.clone()),
            content_type: Set(crate::provisioning::files::content_type(path).to_owned()),
            size: Set(upload.bytes.len() as i64),
            sha256: Set(upload.sha256()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Stores the files of a filing or a reply, removing those stored if one fails.
pub async fn store(data_dir: &std::path::Path, uploads: &[Upload]) -> Result<Vec<String>> {
    let mut stored = Vec::new();
    for upload in uploads {
        match upload.store_in(data_dir, "helpdesk").await {
            Ok(path) => stored.push(path),
            Err(e) => {
                remove(data_dir, &stored).await;
                return Err(e);
            }
        }
    }
    Ok(stored)
}

/// Writes the ticket, its attachments, and records its filing, in one transaction; answers the
/// ticket as the filer sees it, read in that transaction (on its connection, before its commit,
/// rather than by a round of reads after it).
async fn write(
    db: &DatabaseConnection,
    (links, config): (Links<'_>, &HelpdeskConfig),
    p: &Principal,
    filing: Filing,
    number: String,
    (uploads, stored): (&[Upload], &[String]),
    now: DateTime<Utc>,
) -> Result<TicketView> {
    let txn = crate::db::begin(db).await?;
    let ticket = new_ticket(p, &filing, number, now).insert(&txn).await?;
    attach(&txn, ticket.id, (uploads, stored), now).await?;
    let mail = mail::to_requester(links, &ticket, Notice::Filed)?;
    record(
        &txn,
        Change::Ticket {
            ticket: &ticket,
            step: Some(TicketStep::new(EventKind::Filed, Some(p.user_id), None)),
            event: Event::new(AuditAction::HelpdeskTicketFiled, ticket.id)
                .by(p.user_id)
                .in_unit(access::target(&ticket))
                .after(&serde_json::json!({
                    "number": ticket.number,
                    "topic": filing.topic.code,
                    "priority": ticket.priority,
                })),
            mail: mail.into_iter().collect(),
            at: now,
        },
    )
    .await?;
    let view = read_as(&txn, config, p, &ticket, now).await?;
    txn.commit().await?;
    Ok(view)
}

/// A new ticket at N1: medium impact, urgent when the failed operation's code says so.
fn new_ticket(
    p: &Principal,
    filing: &Filing,
    number: String,
    now: DateTime<Utc>,
) -> helpdesk_ticket::ActiveModel {
    let impact = Severity::Media;
    let urgency = if filing.error_code.as_deref().is_some_and(routing::urgent) {
        Severity::Alta
    } else {
        Severity::Media
    };
    let school = filing.place.school.as_ref();
    helpdesk_ticket::ActiveModel {
        number: Set(number),
        requester_id: Set(p.user_id),
        school_id: Set(school.map(|s| s.id)),
        ugel_id: Set(filing.place.ugel_id),
        dre_id: Set(filing.place.dre_id),
        codigo_modular: Set(school.map(|s| s.codigo_modular.clone())),
        email: Set(filing.email.as_str().to_owned()),
        cell_phone: Set(filing.phone.as_str().to_owned()),
        extension: Set(filing.extension.clone()),
        topic_id: Set(filing.topic.id),
        comment: Set(filing.comment.clone()),
        error_code: Set(filing.error_code.clone()),
        request_id: Set(filing.request_id.clone()),
        state: Set(TicketState::Nuevo),
        level: Set(TicketLevel::N1),
        reached_level: Set(TicketLevel::N1),
        assignee_id: Set(None),
        owner_id: Set(None),
        impact: Set(impact),
        urgency: Set(urgency),
        priority: Set(Priority::of(impact, urgency)),
        created_at: Set(now),
        updated_at: Set(now),
        level_since: Set(now),
        ..Default::default()
    }
}

/// Removes stored files whose write did not happen.
pub async fn remove(data_dir: &std::path::Path, stored: &[String]) {
    for path in stored {
        let _ = tokio::fs::remove_file(data_dir.join(path)).await;
    }
}

/// The next readable number of the year, `ISOS-2026-000123`: one row per year, incremented by
/// one atomic statement, so two filings never share a number.
async fn next_number(db: &impl ConnectionTrait, year: i32) -> Result<String> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO helpdesk_counter (year, last) VALUES ($1, 1) \
             ON CONFLICT (year) DO UPDATE SET last = helpdesk_counter.last + 1 RETURNING last",
            [year.into()],
        ))
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the counter answered no row")))?;
    let last: i64 = row.try_get_by_index(0)?;
    Ok(format!("ISOS-{year}-{last:06}"))
}

/// The help form as a browser or a client sends it (`multipart/form-data`): its fields, its files
/// (parts named `attachment`, checked), and the values of the `extra` fields a page adds (its form
/// token).
pub async fn read_multipart(
    multipart: Multipart,
    extra: &[&str],
) -> Result<(TicketForm, Vec<Upload>, Vec<(String, String)>)> {
    let (fields, uploads) = read_parts(multipart).await?;
    let mut form = TicketForm::default();
    let mut extras = Vec::new();
    for (name, value) in fields {
        let slot = match name.as_str() {
            "email" => &mut form.email,
            "codigo_modular" => &mut form.codigo_modular,
            "cell_phone" => &mut form.cell_phone,
            "extension" => &mut form.extension,
            "topic" => &mut form.topic,
            "comment" => &mut form.comment,
            "error_code" => &mut form.error_code,
            "request_id" => &mut form.request_id,
            other if extra.contains(&other) => {
                extras.push((name, value));
                continue;
            }
            _ => continue,
        };
        *slot = Some(value);
    }
    Ok((form, uploads, extras))
}

/// A `multipart/form-data` form with a ticket's files: its text fields, and its files (parts
/// named `attachment`, up to three, each checked; a file input left empty is no file).
pub async fn read_parts(mut multipart: Multipart) -> Result<(Vec<(String, String)>, Vec<Upload>)> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::because(
                ErrorCode::PayloadTooLarge,
                "Los archivos adjuntos no pueden superar 5 MB cada uno.",
            )
        } else {
            ApiError::invalid_body("El formulario no se pudo leer (se espera multipart/form-data).")
        }
    };
    let mut fields = Vec::new();
    let mut uploads = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == ATTACHMENT.field {
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(bad)?;
            // A browser sends a file input left empty as a part without a name or content.
            if bytes.is_empty() && file_name.as_deref().unwrap_or_default().is_empty() {
                continue;
            }
            if uploads.len() >= MAX_ATTACHMENTS {
                return Err(ApiError::field(
                    ATTACHMENT.field,
                    "Adjunte hasta 3 archivos.",
                ));
            }
            uploads.push(Upload::check_part(
                &ATTACHMENT,
                file_name.as_deref(),
                bytes.to_vec(),
            )?);
            continue;
        }
        let value = field.text().await.map_err(bad)?;
        if crate::http::extract::has_control(&value) {
            return Err(ApiError::field(
                &name,
                "El texto contiene caracteres de control no permitidos.",
            ));
        }
        fields.push((name, value));
    }
    Ok((fields, uploads))
}
