//! Filing a ticket through the help form, and reading tickets within reach: lists (keyset pages),
//! the detail (internal notes only to the help desk), attachments, the topic catalogue.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use entity::{
    helpdesk_attachment, helpdesk_event, helpdesk_message, helpdesk_ticket, helpdesk_topic,
    helpdesk_vocabulary::{EventKind, N2Unit, Severity, TicketState},
    school, ugel,
};

use super::{
    access::{self, Access},
    dto::{
        AttachmentView, Clock, EventView, MessageView, TicketFilter, TicketForm, TicketPage,
        TicketSummary, TicketView, Topic,
    },
    mail::{self, Notice},
    routing,
    rules::{self, MAX_TEXT, priority, priority_label, subject, text},
    sla, sla_job,
};
use crate::{
    auth::{Principal, policy::Unit},
    domain::{CellPhone, Email},
    error::{ApiError, ErrorCode, Fields, Result},
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

/// The active topics (everyone) or all of them (the help desk).
pub async fn topics(db: &DatabaseConnection, p: &Principal) -> Result<Vec<Topic>> {
    let mut query = helpdesk_topic::Entity::find().order_by_asc(helpdesk_topic::Column::Position);
    if !access::is_staff(p) {
        query = query.filter(helpdesk_topic::Column::Active.eq(true));
    }
    Ok(query.all(db).await?.into_iter().map(topic_view).collect())
}

pub fn topic_view(t: helpdesk_topic::Model) -> Topic {
    Topic {
        id: t.id,
        code: t.code,
        name: t.name,
        active: t.active,
    }
}

/// Adds a topic or changes the one with that code (the administrator and the Central de
/// Atención).
pub async fn save_topic(
    db: &DatabaseConnection,
    p: &Principal,
    input: super::dto::TopicInput,
) -> Result<Topic> {
    if !access::manages(p) {
        return Err(ApiError::forbidden());
    }
    let mut fields = Fields::default();
    let code_ok = input.code.trim().to_owned();
    if code_ok.is_empty()
        || code_ok.len() > 32
        || !code_ok
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
    {
        fields.add(
            "code",
            "El código debe tener hasta 32 letras minúsculas, dígitos o guiones bajos.",
        );
    }
    let name = fields.check(
        "name",
        text(Some(&input.name), 120, "Indique el nombre del tema."),
    );
    fields.finish()?;
    let name = name.unwrap_or_default();
    let txn = crate::db::begin(db).await?;
    let existing = helpdesk_topic::Entity::find()
        .filter(helpdesk_topic::Column::Code.eq(&code_ok))
        .one(&txn)
        .await?;
    let saved = match existing {
        Some(t) => {
            let mut active: helpdesk_topic::ActiveModel = t.into();
            active.name = Set(name);
            active.active = Set(input.active);
            active.update(&txn).await?
        }
        None => {
            let position = helpdesk_topic::Entity::find().all(&txn).await?.len() as i16 + 1;
            helpdesk_topic::ActiveModel {
                code: Set(code_ok),
                name: Set(name),
                active: Set(input.active),
                position: Set(position),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::HelpdeskTopicChanged, saved.id)
                .by(p.user_id)
                .after(&saved),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(topic_view(saved))
}

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
    let school = match codigo {
        Some(codigo) => {
            if codigo.len() != 7 || !codigo.chars().all(|c| c.is_ascii_digit()) {
                fields.add("codigo_modular", "El código modular tiene 7 dígitos.");
                None
            } else {
                let found = school::Entity::find()
                    .filter(school::Column::CodigoModular.eq(codigo))
                    .order_by_asc(school::Column::Anexo)
                    .one(db)
                    .await?;
                if found.is_none() {
                    fields.add("codigo_modular", "No existe una IE con ese código modular.");
                }
                found
            }
        }
        None => {
            let own = p.assignments.iter().find_map(|a| match a.unit {
                Unit::School { school_id, .. } => Some(school_id),
                _ => None,
            });
            match own {
                Some(id) => school::Entity::find_by_id(id).one(db).await?,
                None => None,
            }
        }
    };
    if let Some(school) = school {
        let dre_id = ugel::Entity::find_by_id(school.ugel_id)
            .one(db)
            .await?
            .map(|u| u.dre_id);
        return Ok(Place {
            ugel_id: Some(school.ugel_id),
            dre_id,
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
    let mut fields = Fields::default();
    let email = fields.check(
        "email",
        Email::parse(form.email.as_deref().unwrap_or_default()),
    );
    let phone = fields.check(
        "cell_phone",
        CellPhone::parse(form.cell_phone.as_deref().unwrap_or_default()),
    );
    let extension = match form
        .extension
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) if e.len() <= 8 && e.chars().all(|c| c.is_ascii_digit()) => Some(e.to_owned()),
        Some(_) => {
            fields.add("extension", "El anexo tiene hasta 8 dígitos.");
            None
        }
        None => None,
    };
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
    let request_id = fields.check("request_id", rules::code(form.request_id.as_deref()));
    let chosen = form
        .topic
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    // "Report this problem": the failed operation's code picks the topic when none, or «otros»,
    // was chosen (`routing::ROUTES`).
    let routed = match (
        chosen,
        error_code
            .as_ref()
            .and_then(Option::as_deref)
            .and_then(routing::topic_for),
    ) {
        (None | Some("otros"), Some(code)) => {
            helpdesk_topic::Entity::find()
                .filter(helpdesk_topic::Column::Code.eq(code))
                .filter(helpdesk_topic::Column::Active.eq(true))
                .one(db)
                .await?
        }
        _ => None,
    };
    let topic = match chosen {
        _ if routed.is_some() => routed,
        None => {
            fields.add("topic", "Elija el tema de su consulta.");
            None
        }
        Some(code) => {
            let found = helpdesk_topic::Entity::find()
                .filter(helpdesk_topic::Column::Code.eq(code))
                .filter(helpdesk_topic::Column::Active.eq(true))
                .one(db)
                .await?;
            if found.is_none() {
                fields.add(
                    "topic",
                    "El tema no existe en el catálogo de la mesa de ayuda.",
                );
            }
            found
        }
    };
    if uploads.len() > MAX_ATTACHMENTS {
        fields.add("attachment", "Adjunte hasta 3 archivos.");
    }
    let place = place(db, p, form.codigo_modular.as_deref(), &mut fields).await?;
    fields.finish()?;
    let (Some(email), Some(phone), Some(comment), Some(topic)) = (email, phone, comment, topic)
    else {
        return Err(ErrorCode::ValidationFailed.into());
    };
    let error_code = error_code.flatten();
    let impact = Severity::Media;
    let urgency = if error_code.as_deref().is_some_and(routing::urgent) {
        Severity::Alta
    } else {
        Severity::Media
    };

    // The number is drawn in a statement of its own, so that concurrent filings do not wait for
    // each other's transactions on the counter's row; a filing that then fails leaves a gap in
    // the numbers, never a duplicate.
    let year = now.with_timezone(&crate::time::LIMA).year();
    let number = next_number(db, year).await?;
    // The files go to disk (synced) first and are removed if the transaction fails.
    let mut stored = Vec::new();
    for upload in &uploads {
        match upload.store_in(data_dir, "helpdesk").await {
            Ok(path) => stored.push(path),
            Err(e) => {
                remove(data_dir, &stored).await;
                return Err(e);
            }
        }
    }
    let written = async {
        let txn = crate::db::begin(db).await?;
        let ticket = helpdesk_ticket::ActiveModel {
            number: Set(number),
            requester_id: Set(p.user_id),
            school_id: Set(place.school.as_ref().map(|s| s.id)),
            ugel_id: Set(place.ugel_id),
            dre_id: Set(place.dre_id),
            codigo_modular: Set(place.school.as_ref().map(|s| s.codigo_modular.clone())),
            email: Set(email.into_inner()),
            cell_phone: Set(phone.into_inner()),
            extension: Set(extension),
            topic_id: Set(topic.id),
            comment: Set(comment),
            error_code: Set(error_code),
            request_id: Set(request_id.flatten()),
            state: Set(TicketState::Nuevo),
            level: Set(1),
            reached_level: Set(1),
            assignee_id: Set(None),
            owner_id: Set(None),
            impact: Set(impact),
            urgency: Set(urgency),
            priority: Set(priority(impact, urgency)),
            created_at: Set(now),
            updated_at: Set(now),
            level_since: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for (upload, path) in uploads.iter().zip(&stored) {
            helpdesk_attachment::ActiveModel {
                ticket_id: Set(ticket.id),
                name: Set(upload.name.clone()),
                path: Set(path.clone()),
                content_type: Set(crate::provisioning::files::content_type(path).to_owned()),
                size: Set(upload.bytes.len() as i64),
                sha256: Set(upload.sha256()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        let mail = mail::to_requester(&ticket, Notice::Filed)?;
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
                        "topic": topic.code,
                        "priority": ticket.priority,
                    })),
                mail: mail.into_iter().collect(),
                at: now,
            },
        )
        .await?;
        txn.commit().await?;
        Ok::<_, ApiError>(ticket)
    }
    .await;
    if written.is_err() {
        remove(data_dir, &stored).await;
    }
    let ticket = written?;
    read_as(db, &state.config.helpdesk, p, &ticket, now).await
}

/// Removes files stored for a filing that did not happen.
async fn remove(data_dir: &std::path::Path, stored: &[String]) {
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

/// One ticket the caller reaches (404 otherwise, so that its existence is not told).
pub async fn load(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> Result<(helpdesk_ticket::Model, Access)> {
    let ticket = helpdesk_ticket::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el ticket"))?;
    let access = access::of(p, &ticket);
    if !access.reads() {
        return Err(ApiError::not_found("el ticket"));
    }
    Ok((ticket, access))
}

/// A ticket's detail.
pub async fn read(
    state: &AppState,
    p: &Principal,
    id: i64,
    now: DateTime<Utc>,
) -> Result<TicketView> {
    let (ticket, _) = load(&state.db, p, id).await?;
    read_as(&state.db, &state.config.helpdesk, p, &ticket, now).await
}

/// Who wrote: "Apellidos, Nombres" of each account.
async fn names(db: &impl ConnectionTrait, users: Vec<i64>) -> Result<HashMap<i64, String>> {
    Ok(rules::accounts(db, &users)
        .await?
        .into_iter()
        .map(|(a, person)| {
            let name = person
                .map(|p| {
                    format!(
                        "{} {}, {}",
                        p.paternal_surname, p.maternal_surname, p.given_names
                    )
                })
                .unwrap_or(a.username);
            (a.id, name)
        })
        .collect())
}

/// The detail as this caller may see it.
pub async fn read_as(
    db: &impl ConnectionTrait,
    config: &super::HelpdeskConfig,
    p: &Principal,
    ticket: &helpdesk_ticket::Model,
    now: DateTime<Utc>,
) -> Result<TicketView> {
    let access = access::of(p, ticket);
    // The help desk sees the whole case; a requester who is not also its worker sees only what
    // is public.
    let staff = access.staff;
    let topic = helpdesk_topic::Entity::find_by_id(ticket.topic_id)
        .one(db)
        .await?
        .map(topic_view)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("ticket without topic")))?;
    let mut messages = helpdesk_message::Entity::find()
        .filter(helpdesk_message::Column::TicketId.eq(ticket.id))
        .order_by_asc(helpdesk_message::Column::Id);
    if !staff {
        messages = messages.filter(helpdesk_message::Column::Internal.eq(false));
    }
    let messages = messages.all(db).await?;
    let events = helpdesk_event::Entity::find()
        .filter(helpdesk_event::Column::TicketId.eq(ticket.id))
        .order_by_asc(helpdesk_event::Column::Id)
        .all(db)
        .await?;
    let attachments = helpdesk_attachment::Entity::find()
        .filter(helpdesk_attachment::Column::TicketId.eq(ticket.id))
        .order_by_asc(helpdesk_attachment::Column::Id)
        .all(db)
        .await?;
    let mut users: Vec<i64> = messages.iter().map(|m| m.author_id).collect();
    users.push(ticket.requester_id);
    let names = names(db, users).await?;
    let school = match ticket.school_id {
        Some(id) => school::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|s| s.name),
        None => None,
    };
    let merged_into = match ticket.merged_into {
        Some(id) => helpdesk_ticket::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|t| t.number),
        None => None,
    };
    let sla = if staff {
        let calendar = sla_job::calendar_for(db, ticket, config).await?;
        sla_job::clocks(&calendar, ticket, &events, now)
    } else {
        Vec::new()
    };
    let requester_role = if staff {
        crate::auth::principal::load_principal(db, ticket.requester_id)
            .await
            .ok()
            .and_then(|r| r.assignments.first().map(|a| a.role.label().to_owned()))
    } else {
        None
    };
    Ok(TicketView {
        id: ticket.id,
        number: ticket.number.clone(),
        state: ticket.state,
        state_label: ticket.state.label(),
        level: ticket.level,
        n2_unit: ticket.n2_unit,
        level_label: rules::stage_label(ticket.level, ticket.n2_unit),
        impact: ticket.impact,
        urgency: ticket.urgency,
        priority: ticket.priority,
        priority_label: priority_label(ticket.priority),
        topic,
        requester: names.get(&ticket.requester_id).cloned().unwrap_or_default(),
        requester_role,
        school_id: ticket.school_id,
        school,
        ugel_id: ticket.ugel_id,
        dre_id: ticket.dre_id,
        codigo_modular: ticket.codigo_modular.clone(),
        email: ticket.email.clone(),
        cell_phone: ticket.cell_phone.clone(),
        extension: ticket.extension.clone(),
        comment: ticket.comment.clone(),
        error_code: ticket.error_code.clone(),
        request_id: ticket.request_id.clone(),
        assignee_id: ticket.assignee_id,
        owner_id: ticket.owner_id,
        resolution: ticket.resolution.clone(),
        merged_into,
        rating: ticket.rating,
        rating_comment: ticket.rating_comment.clone(),
        created_at: ticket.created_at,
        updated_at: ticket.updated_at,
        resolved_at: ticket.resolved_at,
        closed_at: ticket.closed_at,
        messages: messages
            .into_iter()
            .map(|m| MessageView {
                id: m.id,
                author: names.get(&m.author_id).cloned().unwrap_or_default(),
                from_requester: m.author_id == ticket.requester_id,
                internal: m.internal,
                body: m.body,
                created_at: m.created_at,
            })
            .collect(),
        events: events
            .into_iter()
            .map(|e| EventView {
                at: e.at,
                kind: e.kind,
                from_state: e.from_state,
                to_state: e.to_state,
                level: e.level,
                n2_unit: e.n2_unit,
                reason: if staff { e.reason } else { None },
            })
            .collect(),
        attachments: attachments
            .into_iter()
            .map(|a| AttachmentView {
                id: a.id,
                name: a.name,
                content_type: a.content_type,
                size: a.size,
            })
            .collect(),
        sla,
        can_work: access.works,
    })
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Newest,
    Deadline,
    Priority,
    Age,
}

fn sort_of(value: Option<&str>) -> Result<Sort> {
    match value.map(str::trim) {
        None | Some("") | Some("newest") => Ok(Sort::Newest),
        Some("deadline") => Ok(Sort::Deadline),
        Some("priority") => Ok(Sort::Priority),
        Some("age") => Ok(Sort::Age),
        Some(other) => Err(ApiError::because(
            ErrorCode::InvalidQuery,
            format!(
                "Orden no válido: «{}». Valores permitidos: newest, deadline, priority, age.",
                other.chars().take(40).collect::<String>()
            ),
        )),
    }
}

/// The states asked for: one or several separated by commas, `todos` for all; by default the
/// open ones in a queue and every one in the caller's own tickets.
fn states_of(value: Option<&str>, queue: bool) -> Result<Option<Vec<TicketState>>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None if queue => Ok(Some(
            TicketState::ALL
                .iter()
                .copied()
                .filter(|s| s.is_open())
                .collect(),
        )),
        None | Some("todos") => Ok(None),
        Some(list) => list
            .split(',')
            .map(|s| {
                TicketState::parse(s).map_err(|m| ApiError::because(ErrorCode::InvalidQuery, m))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
    }
}

/// Tickets found by `q`: its number (whole, or its last digits), its IE's código modular, or
/// words of its comment.
fn search(q: &str) -> Result<sea_orm::Condition> {
    use helpdesk_ticket::Column as T;
    use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
    let q = q.trim();
    if q.chars().count() > 100 {
        return Err(ApiError::because(
            ErrorCode::InvalidQuery,
            "La búsqueda («q») admite hasta 100 caracteres.",
        ));
    }
    let escaped: String = q
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let mut any = sea_orm::Condition::any()
        .add(T::Number.eq(q.to_uppercase()))
        .add(T::CodigoModular.eq(q))
        .add(
            Expr::expr(Func::lower(Expr::col((
                helpdesk_ticket::Entity,
                T::Comment,
            ))))
            .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    if !q.is_empty() && q.chars().all(|c| c.is_ascii_digit()) {
        any = any.add(T::Number.like(format!("%-%{q}")));
    }
    Ok(any)
}

/// The clock a ticket runs on now, from its SLA targets.
fn running_clock(ticket: &helpdesk_ticket::Model, targets: &[sla::Target]) -> Option<Clock> {
    if !ticket.state.is_open() {
        return None;
    }
    let name = if ticket.first_response_at.is_none() {
        "first_response"
    } else {
        "resolution"
    };
    let t = targets.iter().find(|t| t.target == name)?;
    let minutes_left = t.target_minutes - t.elapsed_minutes;
    Some(Clock {
        target: t.target,
        due_at: t.due_at,
        minutes_left,
        overdue: t.status == "vencido" || minutes_left < 0,
        paused: t.paused,
        status: t.status,
    })
}

/// Tickets a deadline sort reads, at most: it measures each one's clock.
const DEADLINE_SORTS: u64 = 5_000;

/// The running clocks of tickets, by ticket, from their logs and calendars.
async fn clocks_of(
    db: &impl ConnectionTrait,
    config: &super::HelpdeskConfig,
    tickets: &[helpdesk_ticket::Model],
    now: DateTime<Utc>,
) -> Result<HashMap<i64, Clock>> {
    let mut events: HashMap<i64, Vec<helpdesk_event::Model>> = HashMap::new();
    for chunk in tickets.chunks(1_000) {
        for e in helpdesk_event::Entity::find()
            .filter(helpdesk_event::Column::TicketId.is_in(chunk.iter().map(|t| t.id)))
            .order_by_asc(helpdesk_event::Column::Id)
            .all(db)
            .await?
        {
            events.entry(e.ticket_id).or_default().push(e);
        }
    }
    let mut calendars: HashMap<Option<i64>, sla::Calendar> = HashMap::new();
    let mut clocks = HashMap::new();
    for ticket in tickets.iter().filter(|t| t.state.is_open()) {
        let key = if ticket.level == 2 {
            ticket.dre_id
        } else {
            None
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = calendars.entry(key) {
            slot.insert(sla_job::calendar_for(db, ticket, config).await?);
        }
        let log = events
            .get(&ticket.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let targets = sla_job::clocks(&calendars[&key], ticket, log, now);
        if let Some(clock) = running_clock(ticket, &targets) {
            clocks.insert(ticket.id, clock);
        }
    }
    Ok(clocks)
}

/// A page of tickets: those the caller filed, or those of its queues (open ones unless other
/// states are asked), found by `q`, in the order asked; the queue shows each one's running SLA
/// clock, and every list its requester and IE.
pub async fn list(
    db: &DatabaseConnection,
    config: &super::HelpdeskConfig,
    p: &Principal,
    filter: TicketFilter,
    now: DateTime<Utc>,
) -> Result<TicketPage> {
    use helpdesk_ticket::Column as T;
    let staff = access::is_staff(p);
    let queue = match filter.view.as_deref() {
        None => staff,
        Some("queue") => true,
        Some("filed") => false,
        Some(other) => {
            return Err(ApiError::because(
                ErrorCode::InvalidQuery,
                format!(
                    "Vista no válida: «{}». Valores permitidos: filed, queue.",
                    other.chars().take(40).collect::<String>()
                ),
            ));
        }
    };
    if queue && !staff {
        return Err(ApiError::forbidden());
    }
    let sort = sort_of(filter.sort.as_deref())?;
    let states = states_of(filter.state.as_deref(), queue)?;
    let mut query = helpdesk_ticket::Entity::find();
    query = if queue {
        query.filter(access::queue_condition(p))
    } else {
        query.filter(T::RequesterId.eq(p.user_id))
    };
    if let Some(states) = states {
        query = query.filter(T::State.is_in(states));
    }
    if let Some(level) = filter.level {
        query = query.filter(T::Level.eq(level));
    }
    if let Some(unit) = filter.n2_unit.as_deref() {
        let unit =
            N2Unit::parse(unit).map_err(|m| ApiError::because(ErrorCode::InvalidQuery, m))?;
        query = query.filter(T::Level.eq(2)).filter(T::N2Unit.eq(unit));
    }
    if let Some(ugel_id) = filter.ugel_id {
        query = query.filter(T::UgelId.eq(ugel_id));
    }
    if filter.mine == Some(true) {
        query = query.filter(T::AssigneeId.eq(p.user_id));
    }
    if let Some(q) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
        query = query.filter(search(q)?);
    }
    let topics: HashMap<i64, helpdesk_topic::Model> = helpdesk_topic::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    if let Some(code) = filter.topic.as_deref() {
        let Some(topic) = topics.values().find(|t| t.code == code.trim()) else {
            return Err(ApiError::because(
                ErrorCode::InvalidQuery,
                format!(
                    "Tema no válido: «{}»: no está en el catálogo de la mesa de ayuda.",
                    code.chars().take(40).collect::<String>()
                ),
            ));
        };
        query = query.filter(T::TopicId.eq(topic.id));
    }
    let limit = filter.limit.unwrap_or(50).clamp(1, 200);
    // The cursor is the last ticket of the previous page: the next page starts after it in the
    // order asked.
    let cursor = match filter.before {
        Some(id) if sort != Sort::Newest && sort != Sort::Deadline => {
            helpdesk_ticket::Entity::find_by_id(id).one(db).await?
        }
        _ => None,
    };
    let mut clocks = HashMap::new();
    let (rows, more) = if sort == Sort::Deadline {
        let open: Vec<TicketState> = TicketState::ALL
            .iter()
            .copied()
            .filter(|s| s.is_open())
            .collect();
        let query = query.filter(T::State.is_in(open));
        use sea_orm::PaginatorTrait;
        if query.clone().count(db).await? > DEADLINE_SORTS {
            return Err(ApiError::because(
                ErrorCode::InvalidQuery,
                format!(
                    "Hay más de {DEADLINE_SORTS} tickets para ordenar por vencimiento: filtre por nivel, estado, UGEL o tema."
                ),
            ));
        }
        let all = query.all(db).await?;
        clocks = clocks_of(db, config, &all, now).await?;
        let mut all: Vec<(DateTime<Utc>, helpdesk_ticket::Model)> = all
            .into_iter()
            .map(|t| {
                let due = clocks
                    .get(&t.id)
                    .map_or(DateTime::<Utc>::MAX_UTC, |c| c.due_at);
                (due, t)
            })
            .collect();
        all.sort_by_key(|(due, t)| (*due, t.id));
        let start = filter
            .before
            .and_then(|id| all.iter().position(|(_, t)| t.id == id))
            .map_or(0, |i| i + 1);
        let rest: Vec<helpdesk_ticket::Model> =
            all.into_iter().skip(start).map(|(_, t)| t).collect();
        let more = rest.len() as u64 > limit;
        (
            rest.into_iter().take(limit as usize).collect::<Vec<_>>(),
            more,
        )
    } else {
        query = match (sort, &cursor) {
            (Sort::Priority, Some(c)) => query.filter(
                sea_orm::Condition::any()
                    .add(T::Priority.lt(c.priority))
                    .add(
                        sea_orm::Condition::all()
                            .add(T::Priority.eq(c.priority))
                            .add(T::Id.gt(c.id)),
                    ),
            ),
            (Sort::Age, Some(c)) => query.filter(
                sea_orm::Condition::any()
                    .add(T::CreatedAt.gt(c.created_at))
                    .add(
                        sea_orm::Condition::all()
                            .add(T::CreatedAt.eq(c.created_at))
                            .add(T::Id.gt(c.id)),
                    ),
            ),
            (Sort::Newest, _) => match filter.before {
                Some(before) => query.filter(T::Id.lt(before)),
                None => query,
            },
            _ => query,
        };
        query = match sort {
            Sort::Priority => query.order_by_desc(T::Priority).order_by_asc(T::Id),
            Sort::Age => query.order_by_asc(T::CreatedAt).order_by_asc(T::Id),
            _ => query.order_by_desc(T::Id),
        };
        let mut rows = query.limit(limit + 1).all(db).await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        (rows, more)
    };
    if queue && sort != Sort::Deadline {
        clocks = clocks_of(db, config, &rows, now).await?;
    }
    if !queue {
        clocks.clear();
    }
    let requesters = names(db, rows.iter().map(|t| t.requester_id).collect()).await?;
    let school_ids: Vec<i64> = rows.iter().filter_map(|t| t.school_id).collect();
    let schools: HashMap<i64, String> = school::Entity::find()
        .filter(school::Column::Id.is_in(school_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let items: Vec<TicketSummary> = rows
        .into_iter()
        .map(|t| TicketSummary {
            id: t.id,
            state: t.state,
            state_label: t.state.label(),
            level: t.level,
            n2_unit: t.n2_unit,
            priority: t.priority,
            priority_label: priority_label(t.priority),
            topic: topics
                .get(&t.topic_id)
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            subject: subject(&t.comment),
            school: t.school_id.and_then(|id| schools.get(&id).cloned()),
            requester: requesters.get(&t.requester_id).cloned().unwrap_or_default(),
            clock: clocks.remove(&t.id),
            number: t.number,
            codigo_modular: t.codigo_modular,
            ugel_id: t.ugel_id,
            assignee_id: t.assignee_id,
            created_at: t.created_at,
            updated_at: t.updated_at,
        })
        .collect();
    let next_before = if more {
        items.last().map(|t| t.id)
    } else {
        None
    };
    Ok(TicketPage { items, next_before })
}

/// An attachment's bytes and type, for a reader of its ticket.
pub async fn attachment(
    db: &DatabaseConnection,
    data_dir: &std::path::Path,
    p: &Principal,
    id: i64,
    attachment_id: i64,
) -> Result<(Vec<u8>, String, String)> {
    let (ticket, _) = load(db, p, id).await?;
    let file = helpdesk_attachment::Entity::find_by_id(attachment_id)
        .filter(helpdesk_attachment::Column::TicketId.eq(ticket.id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el archivo adjunto"))?;
    let bytes = tokio::fs::read(data_dir.join(&file.path))
        .await
        .map_err(|_| ApiError::not_found("el archivo adjunto"))?;
    Ok((bytes, file.content_type, file.name))
}

/// Writes a step's change only if the ticket is still as the step read it (its state, stage,
/// assignee and rating), in one conditional `UPDATE`: when another step on the same ticket
/// committed in between (PostgreSQL lets two transactions read the same row; SQLite's writers
/// take turns, so there it never happens), this one is refused with 409 `ticket_state_conflict`
/// and writes nothing. PostgreSQL re-reads the row the `UPDATE` waited for, so the check holds
/// against a step that was still running when this one read.
pub async fn write_if_unchanged(
    db: &impl ConnectionTrait,
    read: &helpdesk_ticket::Model,
    next: helpdesk_ticket::ActiveModel,
) -> Result<helpdesk_ticket::Model> {
    use helpdesk_ticket::Column as T;
    let mut update = helpdesk_ticket::Entity::update_many()
        .set(next)
        .filter(T::Id.eq(read.id))
        .filter(T::State.eq(read.state))
        .filter(T::Level.eq(read.level));
    update = match read.n2_unit {
        Some(unit) => update.filter(T::N2Unit.eq(unit)),
        None => update.filter(T::N2Unit.is_null()),
    };
    update = match read.assignee_id {
        Some(user) => update.filter(T::AssigneeId.eq(user)),
        None => update.filter(T::AssigneeId.is_null()),
    };
    update = match read.rating {
        Some(score) => update.filter(T::Rating.eq(score)),
        None => update.filter(T::Rating.is_null()),
    };
    if update.exec(db).await?.rows_affected != 1 {
        return Err(ApiError::because(
            ErrorCode::TicketStateConflict,
            "Otra persona cambió el ticket mientras usted actuaba: vuelva a abrirlo y revise su estado antes de continuar.",
        ));
    }
    helpdesk_ticket::Entity::find_by_id(read.id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el ticket"))
}

/// Starts a write on a ticket the caller reaches: the transaction and the ticket read in it.
pub async fn begin_on(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> Result<(sea_orm::DatabaseTransaction, helpdesk_ticket::Model, Access)> {
    let txn = crate::db::begin(db).await?;
    let (ticket, access) = load(&txn, p, id).await?;
    Ok((txn, ticket, access))
}
