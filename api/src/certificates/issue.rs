//! Issuing a certificate from a request, its preview, its PDF, annulment and correction.

use coset::{CborSerializable, CoseSign1};
use rand::RngExt;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, sea_query::Expr,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use entity::{
    certificate::{self, CertificateStatus},
    certificate_request::{self, RequestOrigin, RequestStatus},
    school, student,
};

use super::{
    Certificates, access,
    payload::{self, CertificateContent, Observation, mask_document},
    pdf::{self, Sheet},
    request_years,
    requests::{self, document_of},
    years::check_complete,
};
use crate::{
    auth::principal::Principal,
    domain::Level,
    error::{ApiError, ErrorCode, Result},
    record::{AuditAction, Change, Event, record},
    registry::repo::{SchoolScope, school_scope},
    time::{now, today_lima},
};

/// Letters and digits of a virtual code: none that is read as another (no 0/O, 1/I/L).
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters of a virtual code (31^12 ≈ 7.9 × 10^17 codes).
pub const CODE_LEN: usize = 12;

/// A new random virtual code.
pub fn virtual_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// An issued certificate.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedView {
    pub id: i64,
    pub virtual_code: String,
    pub status: CertificateStatus,
    pub request_id: i64,
    pub school_id: i64,
    pub student_id: i64,
    pub student_name: String,
    pub student_document: String,
    pub last_year: Option<i32>,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    pub annul_reason: Option<String>,
    /// The virtual code of the certificate that replaced this one.
    pub superseded_by: Option<String>,
    /// The virtual code of the certificate this one replaced.
    pub supersedes: Option<String>,
    /// What the QR holds: the address of the verification page with the signed payload.
    pub qr_text: String,
}

/// The content a request's certificate states, under a virtual code.
async fn content_of(
    db: &impl ConnectionTrait,
    request: &certificate_request::Model,
    scope: &SchoolScope,
    student: &student::Model,
    code: String,
    supersedes: Option<String>,
) -> Result<CertificateContent> {
    let (years, recovery_notes) = request_years::years_and_recovery_notes(db, request).await?;
    let years: Vec<_> = years.into_iter().map(|y| y.year).collect();
    if years.is_empty() {
        return Err(ErrorCode::CertificateWithoutYears.into());
    }
    check_complete(&years)?;
    let gaps = super::completeness::missing_grades(&years);
    if !gaps.is_empty() {
        return Err(ApiError::because(
            ErrorCode::CertificateIncomplete,
            format!(
                "El certificado no cubre todos los grados del nivel. {}",
                gaps.join(" ")
            ),
        )
        .with_details(serde_json::json!({ "missing": gaps })));
    }
    let mut observations: Vec<Observation> =
        serde_json::from_str(&request.observations).unwrap_or_default();
    observations.extend(recovery_notes);
    let school = &scope.school;
    Ok(CertificateContent {
        virtual_code: code,
        school_code: format!("{}-{}", school.codigo_modular, school.anexo),
        school_name: school.name.to_uppercase(),
        student_name: format!(
            "{} {} {}",
            student.given_names, student.paternal_surname, student.maternal_surname
        )
        .to_uppercase(),
        masked_document: mask_document(&document_of(student)),
        level: years.last().map_or(school.level, |y| y.level),
        issued_on: today_lima(),
        observations,
        years,
        supersedes,
    })
}

async fn student_of(db: &impl ConnectionTrait, id: i64) -> Result<student::Model> {
    student::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el estudiante"))
}

/// The PDF of a request as it would be issued, marked as a preview: no QR, nothing stored.
pub async fn preview(
    db: &DatabaseConnection,
    service: &Certificates,
    p: &Principal,
    request_id: i64,
) -> Result<Vec<u8>> {
    let request = requests::find(db, request_id).await?;
    let scope = access::issuer(db, p, request.school_id).await?;
    let student = student_of(db, request.student_id).await?;
    let content = content_of(db, &request, &scope, &student, "VISTA-PREVIA".into(), None).await?;
    let document = document_of(&student);
    let place = scope.school.district.clone();
    let verify_url = service.verify_url();
    blocking(move || {
        pdf::render(&Sheet {
            content: &content,
            document: &document,
            place: &place,
            qr_text: None,
            verify_url: &verify_url,
            digital: false,
        })
    })
    .await
}

/// Issues the certificate of a pending request: one transaction writes the certificate, marks
/// the request issued and records the event (and, for a public request, e-mails its link).
pub async fn issue(
    db: &DatabaseConnection,
    service: &Certificates,
    p: &Principal,
    request_id: i64,
) -> Result<IssuedView> {
    let request = requests::find(db, request_id).await?;
    let scope = access::issuer(db, p, request.school_id).await?;
    requests::pending(&request)?;
    let txn = crate::db::begin(db).await?;
    let issued = issue_in(&txn, service, p, &scope, &request, None).await?;
    txn.commit().await?;
    view(db, service, issued).await
}

/// [`issue`] inside the caller's transaction.
pub(super) async fn issue_in(
    db: &impl ConnectionTrait,
    service: &Certificates,
    p: &Principal,
    scope: &SchoolScope,
    request: &certificate_request::Model,
    supersedes: Option<&certificate::Model>,
) -> Result<certificate::Model> {
    let student = student_of(db, request.student_id).await?;
    let code = virtual_code();
    let content = content_of(
        db,
        request,
        scope,
        &student,
        code.clone(),
        supersedes.map(|s| s.virtual_code.clone()),
    )
    .await?;
    // Decided inside the caller's transaction: on SQLite it holds the write lock, on PostgreSQL
    // the partial unique index makes a certificate issued meanwhile by another transaction a
    // unique violation, answered with the same code.
    if let Some(existing) = valid_of_level(db, request.student_id, content.level).await? {
        return Err(already_valid(&existing, request.school_id));
    }
    let cose = service.ring.sign(&content);
    let at = now();
    let certificate = certificate::ActiveModel {
        virtual_code: Set(code),
        request_id: Set(request.id),
        school_id: Set(request.school_id),
        student_id: Set(request.student_id),
        status: Set(CertificateStatus::Valid),
        level: Set(content.level),
        supersedes: Set(supersedes.map(|s| s.id)),
        issued_by: Set(p.user_id),
        issued_at: Set(at),
        last_year: Set(content.years.last().map(|y| y.year)),
        search_name: Set(request.search_name.clone()),
        student_document: Set(document_of(&student)),
        sha256: Set(Sha256::digest(&cose)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()),
        cose: Set(cose),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // Only a pending request is issued, even by two issuers at once.
    let changed = certificate_request::Entity::update_many()
        .col_expr(
            certificate_request::Column::Status,
            Expr::value(RequestStatus::Issued),
        )
        .col_expr(
            certificate_request::Column::DecidedBy,
            Expr::value(p.user_id),
        )
        .col_expr(certificate_request::Column::DecidedAt, Expr::value(at))
        .col_expr(
            certificate_request::Column::CertificateId,
            Expr::value(certificate.id),
        )
        .col_expr(
            certificate_request::Column::LastYear,
            Expr::value(certificate.last_year),
        )
        .filter(certificate_request::Column::Id.eq(request.id))
        .filter(certificate_request::Column::Status.eq(RequestStatus::Pending))
        .exec(db)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ErrorCode::RequestDecided.into());
    }
    let mut mail = Vec::new();
    if request.origin == RequestOrigin::Public
        && let Some(email) = &request.requester_email
    {
        mail.push(
            super::download::link_mail(
                db,
                service,
                request.id,
                email,
                &certificate.virtual_code,
                &scope.school.name,
            )
            .await?,
        );
    }
    record(
        db,
        Change::Certificate {
            event: Some(
                Event::new(AuditAction::CertificateIssued, certificate.id)
                    .by(p.user_id)
                    .in_unit(scope.target)
                    .after(&serde_json::json!({
                        "virtual_code": certificate.virtual_code,
                        "request_id": request.id,
                        "sha256": certificate.sha256,
                    })),
            ),
            mail,
        },
    )
    .await?;
    Ok(certificate)
}

/// The valid certificate of a student and level, if any (there is at most one).
pub async fn valid_of_level(
    db: &impl ConnectionTrait,
    student_id: i64,
    level: Level,
) -> Result<Option<certificate::Model>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::StudentId.eq(student_id))
        .filter(certificate::Column::Level.eq(level))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .one(db)
        .await?)
}

/// 409 `certificate_already_valid`, naming the certificate when the caller's IE issued it.
fn already_valid(existing: &certificate::Model, school_id: i64) -> ApiError {
    let level = existing.level.code();
    if existing.school_id == school_id {
        ApiError::because(
            ErrorCode::CertificateAlreadyValid,
            format!(
                "El estudiante ya tiene un certificado vigente de {level} (código {}): corríjalo o anúlelo antes de emitir otro.",
                existing.virtual_code
            ),
        )
        .with_details(serde_json::json!({"certificate_id": existing.id, "virtual_code": existing.virtual_code}))
    } else {
        ApiError::because(
            ErrorCode::CertificateAlreadyValid,
            format!(
                "El estudiante ya tiene un certificado vigente de {level} emitido por otra IE: esa IE debe anularlo antes de que se emita otro."
            ),
        )
    }
}

/// A certificate by id; 404 when there is none.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<certificate::Model> {
    certificate::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el certificado"))
}

/// A certificate by its virtual code.
pub async fn by_code(db: &impl ConnectionTrait, code: &str) -> Result<Option<certificate::Model>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::VirtualCode.eq(code))
        .one(db)
        .await?)
}

async fn code_of(db: &impl ConnectionTrait, id: Option<i64>) -> Result<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    Ok(certificate::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|c| c.virtual_code))
}

/// A certificate as its issuer sees it.
pub async fn view(
    db: &impl ConnectionTrait,
    service: &Certificates,
    c: certificate::Model,
) -> Result<IssuedView> {
    let student = student_of(db, c.student_id).await?;
    Ok(IssuedView {
        qr_text: service.qr_text(&c.cose),
        superseded_by: code_of(db, c.superseded_by).await?,
        supersedes: code_of(db, c.supersedes).await?,
        id: c.id,
        virtual_code: c.virtual_code,
        status: c.status,
        request_id: c.request_id,
        school_id: c.school_id,
        student_id: c.student_id,
        student_name: requests::listed_name(&student),
        student_document: c.student_document,
        last_year: c.last_year,
        issued_at: c.issued_at,
        annul_reason: c.annul_reason,
    })
}

/// A certificate of the caller's IE.
pub async fn read(
    db: &DatabaseConnection,
    service: &Certificates,
    p: &Principal,
    id: i64,
) -> Result<IssuedView> {
    let c = find(db, id).await?;
    access::issuer(db, p, c.school_id).await?;
    view(db, service, c).await
}

/// The signed content of a stored certificate.
pub fn stored_content(c: &certificate::Model) -> Result<CertificateContent> {
    CoseSign1::from_slice(&c.cose)
        .ok()
        .and_then(|s| s.payload)
        .and_then(|p| payload::decode(&p))
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("certificate {} unreadable", c.id)))
}

/// The PDF of an issued certificate, rendered again from what was signed: to print and sign at
/// the IE, or `digital`, delivered as a file and valid by its digital signature and QR.
pub async fn pdf_of(
    db: &impl ConnectionTrait,
    service: &Certificates,
    c: &certificate::Model,
    digital: bool,
) -> Result<Vec<u8>> {
    let content = stored_content(c)?;
    let place = school::Entity::find_by_id(c.school_id)
        .one(db)
        .await?
        .map(|s| s.district)
        .unwrap_or_default();
    let document = c.student_document.clone();
    let qr_text = service.qr_text(&c.cose);
    let verify_url = service.verify_url();
    blocking(move || {
        pdf::render(&Sheet {
            content: &content,
            document: &document,
            place: &place,
            qr_text: Some(&qr_text),
            verify_url: &verify_url,
            digital,
        })
    })
    .await
}

/// The PDF of a certificate of the caller's IE.
pub async fn download(
    db: &DatabaseConnection,
    service: &Certificates,
    p: &Principal,
    id: i64,
) -> Result<(String, Vec<u8>)> {
    let c = find(db, id).await?;
    access::issuer(db, p, c.school_id).await?;
    let bytes = pdf_of(db, service, &c, false).await?;
    Ok((c.virtual_code, bytes))
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    crate::time::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(e.into()))
}

/// The IE of a certificate, for the unit of its events.
pub async fn scope_of(db: &impl ConnectionTrait, c: &certificate::Model) -> Result<SchoolScope> {
    school_scope(db, c.school_id).await
}
