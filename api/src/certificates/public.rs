//! Requests from the public (§6): a guardian or an adult former student asks without an account;
//! the request reaches the IE where the student last studied. The answer is the same whether or
//! not the student exists; each address and each document is limited per hour. Issuing such a
//! request e-mails a single-use download link.

use rand::RngExt;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use entity::{
    certificate::{self, CertificateStatus},
    certificate_request::{self, RequestOrigin, RequestStatus},
    enrollment, section, student,
};

use super::{
    Certificates, access, download::link_mail, issue, requests, revocation::StatusCategory,
    settings,
};
use crate::{
    auth::{principal::Principal, tokens::hash_token},
    domain::{CellPhone, Dni, Email, StudentDocument, spanish_key},
    error::{ErrorCode, Fields, Result},
    record::{AuditAction, Change, Event, record},
    registry::repo::school_scope,
    state::AppState,
    time::{now, parse_date},
};

/// A request from the public.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PublicRequest {
    /// The student's DNI or código de estudiante.
    pub student_document: String,
    /// The student's birth date (AAAA-MM-DD).
    pub birth_date: String,
    pub requester_dni: String,
    /// The requester's surnames and names.
    pub requester_names: String,
    pub email: String,
    pub cell_phone: String,
    /// What the certificate is for.
    pub purpose: String,
    /// Who asks, for the student: `madre`, `padre`, `apoderado` or `estudiante` (the former
    /// student, of age).
    #[serde(default)]
    pub relationship: String,
}

/// Who may ask for a student's certificate: (code, as the IE's e-mail names who asked).
pub const RELATIONSHIPS: &[(&str, &str)] = &[
    ("madre", "su madre"),
    ("padre", "su padre"),
    ("apoderado", "su apoderado(a)"),
    ("estudiante", "el propio estudiante (mayor de edad)"),
];

/// The notice of personal data the request form shows (Ley N.º 29733).
pub const DATA_NOTICE: &str = "Protección de datos personales (Ley N.º 29733 y su reglamento): los datos que registre en este formulario, los suyos y los del estudiante, se usan solo para atender esta solicitud de certificado, la IE donde el estudiante estudió por última vez y el Ministerio de Educación, titular del banco de datos del SIAGIE, los tratan con ese fin y los conservan el tiempo que exige la normativa de archivo. No se comparten con terceros. Puede ejercer sus derechos de acceso, rectificación, cancelación y oposición ante el Ministerio de Educación. Al enviar la solicitud declara que es la madre, el padre o el apoderado del estudiante, o el propio estudiante mayor de edad.";

/// What a requester is told, whatever happened to the request.
pub const RECEIVED: &str = "Solicitud recibida. Le enviamos una constancia con el número de su solicitud al correo indicado. Si los datos del estudiante corresponden a un estudiante registrado, la IE donde estudió por última vez atenderá su solicitud y le escribirá a ese correo.";

/// A new request number: `SC-` and eight letters and digits that are not read as others.
fn request_number() -> String {
    let mut rng = rand::rng();
    let alphabet = issue::CODE_ALPHABET;
    let code: String = (0..8)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect();
    format!("SC-{code}")
}

/// A public request whose fields and limits checked, to be filed.
struct Checked {
    document: StudentDocument,
    birth: chrono::NaiveDate,
    requester_dni: String,
    names: String,
    email: Email,
    phone: CellPhone,
    purpose: String,
    /// The code of [`RELATIONSHIPS`].
    relationship: &'static str,
    number: String,
}

/// Checks a public request (its fields, then the limits) and files it after the answer: the
/// answer, and its time, are the same whether or not the student exists, as with a password
/// reset. The answer is the request's number, which the requester's acknowledgement repeats.
pub async fn submit(state: &AppState, input: PublicRequest, address: &str) -> Result<String> {
    let checked = check(&state.certificates, input, address).await?;
    let number = checked.number.clone();
    let state = state.clone();
    crate::time::spawn(async move {
        let links = crate::links::Links::new(&state.config.auth.public_base_url);
        if let Err(error) = file(&state.db, links, checked).await {
            tracing::error!(error = %error, "a public certificate request failed");
        }
    });
    Ok(number)
}

/// Counts a public request (or an ask for a new link) against its address and its document.
async fn limits(service: &Certificates, address: &str, document: &str) -> Result<()> {
    let refused = ErrorCode::TooManyCertificateRequests;
    service.requests_by_address.hit(address, refused).await?;
    service.requests_by_document.hit(document, refused).await
}

async fn check(service: &Certificates, input: PublicRequest, address: &str) -> Result<Checked> {
    let mut f = Fields::default();
    let document = f.check(
        "student_document",
        StudentDocument::parse(&input.student_document),
    );
    let birth = f.check("birth_date", parse_date(&input.birth_date));
    f.check("requester_dni", Dni::parse(&input.requester_dni));
    let names = input
        .requester_names
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !crate::domain::said(&names) || names.chars().count() > 120 {
        f.check::<()>(
            "requester_names",
            Err("Escriba sus apellidos y nombres (hasta 120 caracteres).".into()),
        );
    }
    let email = f.check("email", Email::parse(&input.email));
    let phone = f.check("cell_phone", CellPhone::parse(&input.cell_phone));
    let purpose = input
        .purpose
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !crate::domain::said(&purpose) || purpose.chars().count() > 300 {
        f.check::<()>(
            "purpose",
            Err("Indique para qué necesita el certificado (hasta 300 caracteres).".into()),
        );
    }
    let relationship = RELATIONSHIPS
        .iter()
        .find(|(code, _)| *code == input.relationship.trim())
        .map(|(code, _)| *code);
    if relationship.is_none() {
        f.check::<()>(
            "relationship",
            Err("Indique su relación con el estudiante: madre, padre, apoderado o estudiante (usted mismo, mayor de edad).".into()),
        );
    }
    f.finish()?;
    let (Some(document), Some(birth), Some(email), Some(phone), Some(relationship)) =
        (document, birth, email, phone, relationship)
    else {
        return Err(ErrorCode::ValidationFailed.into());
    };
    limits(service, address, document.as_str()).await?;
    Ok(Checked {
        document,
        birth,
        requester_dni: input.requester_dni.trim().to_owned(),
        names,
        email,
        phone,
        purpose,
        relationship,
        number: request_number(),
    })
}

/// Acknowledges a checked request to its requester, and files it with the IE where the student
/// last studied (telling the IE's issuers) when the document and birth date match a student and
/// that IE takes public requests.
async fn file(
    db: &DatabaseConnection,
    links: crate::links::Links<'_>,
    checked: Checked,
) -> Result<()> {
    let received = super::mail::received(checked.email.as_str(), &checked.names, &checked.number)?;
    let txn = crate::db::begin(db).await?;
    let (event, mut mail) = file_with_ie(&txn, links, checked).await?;
    mail.insert(0, received);
    record(&txn, Change::Certificate { event, mail }).await?;
    txn.commit().await?;
    Ok(())
}

/// Files a checked request with the IE where the student last studied, when the document and
/// birth date match a student and that IE takes public requests: the filing's audit event and
/// the e-mails to the IE's issuers (none of either otherwise).
async fn file_with_ie(
    db: &impl ConnectionTrait,
    links: crate::links::Links<'_>,
    checked: Checked,
) -> Result<(Option<Event>, Vec<jobs::outbox::Queued>)> {
    let nothing = Ok((None, Vec::new()));
    let Checked {
        document,
        birth,
        requester_dni,
        names,
        email,
        phone,
        purpose,
        relationship,
        number,
    } = checked;
    let Some(student) = student::Entity::find()
        .filter(match &document {
            StudentDocument::Dni(d) => student::Column::Dni.eq(d.as_str()),
            StudentDocument::Code(c) => student::Column::StudentCode.eq(c.as_str()),
        })
        .one(db)
        .await?
        .filter(|s| s.birth_date == Some(birth))
    else {
        return nothing;
    };
    // The IE of the latest enrollment that counts: never one that merely enrolled the student
    // in a past year (a regularization not approved).
    let latest = enrollment::Entity::find()
        .filter(enrollment::Column::StudentId.eq(student.id))
        .filter(crate::registry::regularization::counting_enrollments())
        .order_by_desc(enrollment::Column::StartsOn)
        .order_by_desc(enrollment::Column::Id)
        .one(db)
        .await?;
    let Some(latest) = latest else {
        return nothing;
    };
    let Some(section) = section::Entity::find_by_id(latest.section_id)
        .one(db)
        .await?
    else {
        return nothing;
    };
    let school_id = section.school_id;
    if !settings::public_requests_enabled(db, school_id).await? {
        return nothing;
    }
    let scope = school_scope(db, school_id).await?;
    let request = certificate_request::ActiveModel {
        school_id: Set(school_id),
        student_id: Set(student.id),
        status: Set(RequestStatus::Pending),
        origin: Set(RequestOrigin::Public),
        guardian_dni: Set(Some(requester_dni)),
        guardian_names: Set(Some(names)),
        guardian_relationship: Set(Some(relationship.into())),
        guardian_contact: Set(Some(phone.as_str().to_owned())),
        requester_email: Set(Some(email.as_str().to_owned())),
        requester_phone: Set(Some(phone.as_str().to_owned())),
        purpose: Set(Some(purpose)),
        observations: Set("[]".into()),
        search_name: Set(spanish_key(&requests::listed_name(&student))),
        created_at: Set(now()),
        number: Set(Some(number.clone())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let event = Event::new(AuditAction::CertificateRequested, request.id)
        .in_unit(scope.target)
        .after(
            &serde_json::json!({"origin": "public", "student_id": student.id, "number": number}),
        );
    let asked_by = RELATIONSHIPS
        .iter()
        .find(|(code, _)| *code == relationship)
        .map_or("", |(_, phrase)| phrase);
    let student_name = requests::listed_name(&student);
    let link = links.full(&format!(
        "{}/solicitudes/{}",
        crate::links::CERTIFICATES_PATH,
        request.id
    ));
    let mut mail = Vec::new();
    for issuer in access::issuers_to_tell(db, school_id).await? {
        let Some(to) = &issuer.email else { continue };
        mail.push(super::mail::new_request(super::mail::NewRequestMail {
            to,
            name: &format!("{} {}", issuer.given_names, issuer.paternal_surname),
            number: &number,
            school: &scope.school.name,
            student: &student_name,
            relationship: asked_by,
            link: &link,
        })?);
    }
    // An IE with nobody to issue (no active director, no one granted with an e-mail): the
    // UGEL's Especialista SIAGIE (or the unit above) is told, to designate its director.
    if mail.is_empty() {
        let (_, people) = crate::exceptional::deciders(
            db,
            crate::auth::Role::UgelSpecialist,
            None,
            &scope.target,
        )
        .await?;
        let school = format!(
            "{} ({}-{})",
            scope.school.name, scope.school.codigo_modular, scope.school.anexo
        );
        let designate = links.full(&format!("{}/nueva", crate::links::PROVISIONING_PATH));
        for person in people {
            let Some(to) = &person.email else { continue };
            mail.push(super::mail::unattended(
                to,
                &person.given_names,
                &number,
                &school,
                &designate,
            )?);
        }
    }
    Ok((Some(event), mail))
}

/// What a download link leads to.
pub enum Download {
    /// The PDF of the valid certificate: (virtual code, bytes). The link is spent.
    Pdf(String, Vec<u8>),
    /// The certificate was annulled or replaced after the link was sent: no PDF.
    NotValid(NoLongerValid),
}

/// Where an unspent download link stands.
pub enum LinkState {
    /// Its certificate stands: the page offers to download it (once).
    Ready { virtual_code: String },
    /// The certificate was annulled or replaced.
    NotValid(NoLongerValid),
}

/// A certificate that stopped being valid, as its download link tells it.
pub struct NoLongerValid {
    pub virtual_code: String,
    pub status: CertificateStatus,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    pub category: Option<StatusCategory>,
    /// The code of the certificate that replaced it.
    pub superseded_by: Option<String>,
}

/// The request and certificate of an unspent link; 404 `invalid_download_link` otherwise.
async fn linked(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<(certificate_request::Model, certificate::Model)> {
    if token.is_empty() || token.len() > 128 {
        return Err(ErrorCode::InvalidDownloadLink.into());
    }
    let request = certificate_request::Entity::find()
        .filter(certificate_request::Column::DownloadTokenHash.eq(hash_token(token)))
        .filter(certificate_request::Column::DownloadUsedAt.is_null())
        .one(db)
        .await?
        .ok_or(ErrorCode::InvalidDownloadLink)?;
    let certificate_id = request
        .certificate_id
        .ok_or(ErrorCode::InvalidDownloadLink)?;
    let certificate = issue::find(db, certificate_id).await?;
    Ok((request, certificate))
}

async fn no_longer_valid(
    db: &impl ConnectionTrait,
    certificate: &certificate::Model,
) -> Result<Option<NoLongerValid>> {
    if certificate.status == CertificateStatus::Valid {
        return Ok(None);
    }
    let superseded_by = match certificate.superseded_by {
        Some(id) => Some(issue::find(db, id).await?.virtual_code),
        None => None,
    };
    Ok(Some(NoLongerValid {
        virtual_code: certificate.virtual_code.clone(),
        status: certificate.status,
        since: certificate.status_changed_at,
        category: certificate
            .status_category
            .as_deref()
            .map(StatusCategory::from_code),
        superseded_by,
    }))
}

/// Where a download link stands, without spending it (a mail scanner's visit costs nothing).
pub async fn link_state(db: &DatabaseConnection, token: &str) -> Result<LinkState> {
    let (_, certificate) = linked(db, token).await?;
    Ok(match no_longer_valid(db, &certificate).await? {
        Some(gone) => LinkState::NotValid(gone),
        None => LinkState::Ready {
            virtual_code: certificate.virtual_code,
        },
    })
}

/// The certificate behind a download link, once; an annulled or replaced one is told as such
/// (and the link is not spent).
pub async fn download(
    db: &DatabaseConnection,
    service: &Certificates,
    token: &str,
) -> Result<Download> {
    let txn = crate::db::begin(db).await?;
    let (request, certificate) = linked(&txn, token).await?;
    if let Some(gone) = no_longer_valid(&txn, &certificate).await? {
        return Ok(Download::NotValid(gone));
    }
    let changed = certificate_request::Entity::update_many()
        .col_expr(
            certificate_request::Column::DownloadUsedAt,
            Expr::value(now()),
        )
        .filter(certificate_request::Column::Id.eq(request.id))
        .filter(certificate_request::Column::DownloadUsedAt.is_null())
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ErrorCode::InvalidDownloadLink.into());
    }
    let scope = school_scope(&txn, certificate.school_id).await?;
    record(
        &txn,
        Change::Certificate {
            event: Some(
                Event::new(AuditAction::CertificateDownloaded, certificate.id)
                    .in_unit(scope.target)
                    .after(&serde_json::json!({"via": "public_link"})),
            ),
            mail: Vec::new(),
        },
    )
    .await?;
    let bytes = issue::pdf_of(&txn, service, &certificate, true).await?;
    txn.commit().await?;
    Ok(Download::Pdf(certificate.virtual_code, bytes))
}

/// A requester's ask for a new download link: the student's document and birth date, and the
/// e-mail the request was filed with.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewLinkRequest {
    pub student_document: String,
    /// AAAA-MM-DD.
    pub birth_date: String,
    pub email: String,
}

/// What a requester is told after asking for a new link, whatever happened.
pub const NEW_LINK_SENT: &str = "Si los datos corresponden a una solicitud atendida cuyo certificado está vigente, enviamos un nuevo enlace de descarga al correo de esa solicitud. El enlace anterior deja de funcionar.";

/// Checks an ask for a new link (fields, then the limits shared with public requests) and
/// answers at once; the link is sent after the answer, only when the document, the birth date
/// and the e-mail match an issued public request whose certificate is valid.
pub async fn ask_new_link(state: &AppState, input: NewLinkRequest, address: &str) -> Result<()> {
    let mut f = Fields::default();
    let document = f.check(
        "student_document",
        StudentDocument::parse(&input.student_document),
    );
    let birth = f.check("birth_date", parse_date(&input.birth_date));
    let email = f.check("email", Email::parse(&input.email));
    f.finish()?;
    let (Some(document), Some(birth), Some(email)) = (document, birth, email) else {
        return Err(ErrorCode::ValidationFailed.into());
    };
    let service = &state.certificates;
    limits(service, address, document.as_str()).await?;
    let state = state.clone();
    crate::time::spawn(async move {
        if let Err(error) = resend_to_requester(&state, document, birth, email).await {
            tracing::error!(error = %error, "a new certificate link failed");
        }
    });
    Ok(())
}

async fn resend_to_requester(
    state: &AppState,
    document: StudentDocument,
    birth: chrono::NaiveDate,
    email: Email,
) -> Result<()> {
    let db = &state.db;
    let Some(student) = student::Entity::find()
        .filter(match &document {
            StudentDocument::Dni(d) => student::Column::Dni.eq(d.as_str()),
            StudentDocument::Code(c) => student::Column::StudentCode.eq(c.as_str()),
        })
        .one(db)
        .await?
        .filter(|s| s.birth_date == Some(birth))
    else {
        return Ok(());
    };
    let requests = certificate_request::Entity::find()
        .filter(certificate_request::Column::StudentId.eq(student.id))
        .filter(certificate_request::Column::Origin.eq(RequestOrigin::Public))
        .filter(certificate_request::Column::Status.eq(RequestStatus::Issued))
        .filter(certificate_request::Column::RequesterEmail.eq(email.as_str()))
        .order_by_desc(certificate_request::Column::Id)
        .all(db)
        .await?;
    for request in requests {
        let Some(certificate_id) = request.certificate_id else {
            continue;
        };
        let certificate = issue::find(db, certificate_id).await?;
        if certificate.status != CertificateStatus::Valid {
            continue;
        }
        let txn = crate::db::begin(db).await?;
        link_resent(&txn, &state.certificates, &request, &certificate, None).await?;
        txn.commit().await?;
        return Ok(());
    }
    Ok(())
}

/// Sends a new link for an issued public request and records who asked (`by`, the IE's issuer;
/// none for the requester).
async fn link_resent(
    db: &impl ConnectionTrait,
    service: &Certificates,
    request: &certificate_request::Model,
    certificate: &certificate::Model,
    by: Option<i64>,
) -> Result<String> {
    let email = request
        .requester_email
        .clone()
        .ok_or(ErrorCode::NoLinkToResend)?;
    let scope = school_scope(db, request.school_id).await?;
    let mail = link_mail(
        db,
        service,
        request.id,
        &email,
        &certificate.virtual_code,
        &scope.school.name,
    )
    .await?;
    let mut event = Event::new(AuditAction::CertificateLinkSent, request.id)
        .in_unit(scope.target)
        .after(&serde_json::json!({"asked_by": if by.is_some() { "ie" } else { "requester" }}));
    if let Some(user) = by {
        event = event.by(user);
    }
    record(
        db,
        Change::Certificate {
            event: Some(event),
            mail: vec![mail],
        },
    )
    .await?;
    Ok(email)
}

/// Where a new link went: the requester's e-mail, masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkSent {
    pub message: String,
    /// e.g. `r***@example.pe`.
    pub email: String,
}

/// The IE's issuer sends the requester of an issued public request a new download link (the one
/// before stops working); 409 `no_link_to_resend` unless the request is public, issued, has an
/// e-mail and its certificate is valid.
pub async fn resend_link(
    db: &DatabaseConnection,
    service: &Certificates,
    p: &Principal,
    request_id: i64,
) -> Result<LinkSent> {
    let request = requests::find(db, request_id).await?;
    access::issuer(db, p, request.school_id).await?;
    let certificate = match request.certificate_id {
        Some(id) if request.origin == RequestOrigin::Public => issue::find(db, id).await?,
        _ => return Err(ErrorCode::NoLinkToResend.into()),
    };
    if certificate.status != CertificateStatus::Valid {
        return Err(ErrorCode::NoLinkToResend.into());
    }
    let txn = crate::db::begin(db).await?;
    let email = link_resent(&txn, service, &request, &certificate, Some(p.user_id)).await?;
    txn.commit().await?;
    let masked = mask_email(&email);
    Ok(LinkSent {
        message: format!("Se envió un nuevo enlace de descarga a {masked}."),
        email: masked,
    })
}

/// `rosa@example.pe` as `r***@example.pe`.
fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((user, domain)) => format!(
            "{}***@{domain}",
            user.chars().next().map(String::from).unwrap_or_default()
        ),
        None => "***".into(),
    }
}
