//! Certificate requests: saved by the IE (direct issuance, §5.1) or sent by the public (§6),
//! the years its issuer types in, and rejection with a reason.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use entity::{
    certificate_request::{self, RequestOrigin, RequestStatus},
    certificate_year, enrollment, person, section, student,
};

use super::{
    access,
    payload::Observation,
    record::years_from_actas,
    request_years::{YearView, certificate_years, missing},
    years::{self, ObservationInput, YearInput},
};
use crate::{
    auth::principal::Principal,
    domain::{Dni, Level, StudentDocument, spanish_key},
    error::{ApiError, ErrorCode, Fields, Result},
    record::{AuditAction, Change, Event, record},
    time::{now, today_lima},
};

/// The guardian's data (datos del apoderado).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct Guardian {
    pub dni: String,
    /// Surnames and names.
    pub names: String,
    /// e.g. "madre", "padre", "tutor".
    pub relationship: String,
    /// Phone or e-mail.
    pub contact: Option<String>,
}

/// A request saved by the IE.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewRequest {
    pub school_id: i64,
    /// The student's DNI (8 digits) or código de estudiante (14 digits).
    pub document: String,
    pub guardian: Option<Guardian>,
    pub additional_info: Option<String>,
    #[serde(default)]
    pub years: Vec<YearInput>,
    #[serde(default)]
    pub observations: Vec<ObservationInput>,
}

/// The typed-in years and observations of a request, replacing what was saved.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SavedYears {
    #[serde(default)]
    pub years: Vec<YearInput>,
    #[serde(default)]
    pub observations: Vec<ObservationInput>,
}

/// A reason (rejection, annulment).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = CertificateReason)]
pub struct Reason {
    pub reason: String,
}

/// The student a request is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudentView {
    pub id: i64,
    pub document: String,
    /// "PATERNO MATERNO, NOMBRES".
    pub name: String,
    pub birth_date: Option<NaiveDate>,
}

/// A request as its issuer sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CertificateRequestView)]
pub struct RequestView {
    pub id: i64,
    pub school_id: i64,
    pub status: RequestStatus,
    pub origin: RequestOrigin,
    pub student: StudentView,
    pub guardian: Option<Guardian>,
    pub additional_info: Option<String>,
    pub purpose: Option<String>,
    pub years: Vec<YearView>,
    pub observations: Vec<Observation>,
    /// `informacion_completa`, `informacion_incompleta`, `emitido` or `rechazado`.
    pub state: String,
    /// What is missing before it can be issued, in Spanish.
    pub missing: Vec<String>,
    pub last_year: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub reject_reason: Option<String>,
    pub certificate_id: Option<i64>,
    /// A public request's number, as its requester quotes it.
    pub number: Option<String>,
}

/// `APELLIDOS, NOMBRES` in capitals.
pub fn listed_name(s: &student::Model) -> String {
    format!(
        "{} {}, {}",
        s.paternal_surname, s.maternal_surname, s.given_names
    )
    .to_uppercase()
}

/// The student's document: DNI, else código de estudiante.
pub fn document_of(s: &student::Model) -> String {
    s.dni
        .clone()
        .or_else(|| s.student_code.clone())
        .unwrap_or_default()
}

/// The student with that document who studied in the IE (an enrollment that counts: not a
/// regularization waiting for approval); 422 otherwise, whatever the reason.
pub async fn student_of_school(
    db: &impl ConnectionTrait,
    school_id: i64,
    document: &str,
) -> Result<student::Model> {
    let document = StudentDocument::parse(document).map_err(|m| ApiError::field("document", m))?;
    let found = student::Entity::find()
        .filter(match &document {
            StudentDocument::Dni(d) => student::Column::Dni.eq(d.as_str()),
            StudentDocument::Code(c) => student::Column::StudentCode.eq(c.as_str()),
        })
        .filter(
            student::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(enrollment::Column::StudentId)
                    .from(enrollment::Entity)
                    .inner_join(
                        section::Entity,
                        Expr::col((section::Entity, section::Column::Id))
                            .equals((enrollment::Entity, enrollment::Column::SectionId)),
                    )
                    .and_where(
                        Expr::col((section::Entity, section::Column::SchoolId)).eq(school_id),
                    )
                    .cond_where(crate::registry::regularization::counting_enrollments())
                    .to_owned(),
            ),
        )
        .one(db)
        .await?;
    found.ok_or_else(|| ErrorCode::CertificateStudentNotFound.into())
}

/// The caller's name as it signs typed-in years: "PATERNO MATERNO, NOMBRES".
pub async fn person_name(db: &impl ConnectionTrait, person_id: i64) -> Result<String> {
    let person = person::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la persona"))?;
    Ok(format!(
        "{} {}, {}",
        person.paternal_surname, person.maternal_surname, person.given_names
    )
    .to_uppercase())
}

fn check_guardian(f: &mut Fields, guardian: &Option<Guardian>) {
    let Some(g) = guardian else { return };
    f.check("guardian.dni", Dni::parse(&g.dni).map(|_| ()));
    if !crate::domain::said(&g.names) || g.names.chars().count() > 120 {
        f.check::<()>(
            "guardian.names",
            Err("Indique los apellidos y nombres del apoderado.".into()),
        );
    }
    if g.relationship.trim().is_empty() || g.relationship.chars().count() > 40 {
        f.check::<()>(
            "guardian.relationship",
            Err("Indique el parentesco del apoderado (hasta 40 caracteres).".into()),
        );
    }
    if g.contact
        .as_deref()
        .is_some_and(|c| c.chars().count() > 120)
    {
        f.check::<()>(
            "guardian.contact",
            Err("El contacto admite hasta 120 caracteres.".into()),
        );
    }
}

/// Saves a request of the IE (direct issuance) with its typed-in years, pending.
pub async fn create(
    db: &sea_orm::DatabaseConnection,
    p: &Principal,
    input: NewRequest,
) -> Result<RequestView> {
    let scope = access::issuer(db, p, input.school_id).await?;
    let student = student_of_school(db, input.school_id, &input.document).await?;
    let mut f = Fields::default();
    check_guardian(&mut f, &input.guardian);
    if input
        .additional_info
        .as_deref()
        .is_some_and(|a| a.chars().count() > 1000)
    {
        f.check::<()>(
            "additional_info",
            Err("La información adicional admite hasta 1000 caracteres.".into()),
        );
    }
    f.finish()?;
    let txn = crate::db::begin(db).await?;
    let request = certificate_request::ActiveModel {
        school_id: Set(input.school_id),
        student_id: Set(student.id),
        status: Set(RequestStatus::Pending),
        origin: Set(RequestOrigin::Direct),
        guardian_dni: Set(input.guardian.as_ref().map(|g| g.dni.trim().to_owned())),
        guardian_names: Set(input.guardian.as_ref().map(|g| g.names.trim().to_owned())),
        guardian_relationship: Set(input
            .guardian
            .as_ref()
            .map(|g| g.relationship.trim().to_owned())),
        guardian_contact: Set(input.guardian.as_ref().and_then(|g| g.contact.clone())),
        additional_info: Set(input.additional_info.clone()),
        observations: Set("[]".into()),
        search_name: Set(spanish_key(&listed_name(&student))),
        created_by: Set(Some(p.user_id)),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let request = store_years(
        &txn,
        p,
        request,
        scope.school.level,
        &input.years,
        &input.observations,
    )
    .await?;
    record(
        &txn,
        Change::Certificate {
            event: Some(
                Event::new(AuditAction::CertificateRequested, request.id)
                    .by(p.user_id)
                    .in_unit(scope.target)
                    .after(&serde_json::json!({"origin": "direct", "student_id": student.id})),
            ),
            mail: Vec::new(),
        },
    )
    .await?;
    txn.commit().await?;
    view(db, request).await
}

/// Replaces the typed-in years and observations of a pending request.
pub async fn save_years(
    db: &sea_orm::DatabaseConnection,
    p: &Principal,
    request_id: i64,
    input: SavedYears,
) -> Result<RequestView> {
    let request = find(db, request_id).await?;
    let scope = access::issuer(db, p, request.school_id).await?;
    pending(&request)?;
    let txn = crate::db::begin(db).await?;
    certificate_year::Entity::delete_many()
        .filter(certificate_year::Column::RequestId.eq(request.id))
        .exec(&txn)
        .await?;
    let request = store_years(
        &txn,
        p,
        request,
        scope.school.level,
        &input.years,
        &input.observations,
    )
    .await?;
    record(
        &txn,
        Change::Certificate {
            event: Some(
                Event::new(AuditAction::CertificateYearsSaved, request.id)
                    .by(p.user_id)
                    .in_unit(scope.target)
                    .after(&serde_json::json!({"years": input.years.iter().map(|y| y.year).collect::<Vec<_>>()})),
            ),
            mail: Vec::new(),
        },
    )
    .await?;
    txn.commit().await?;
    view(db, request).await
}

/// Checks and writes typed-in years and observations, and the request's last year.
pub(super) async fn store_years(
    db: &impl ConnectionTrait,
    p: &Principal,
    request: certificate_request::Model,
    default_level: Level,
    inputs: &[YearInput],
    observations: &[ObservationInput],
) -> Result<certificate_request::Model> {
    let entered_by = person_name(db, p.person_id).await?;
    let typed =
        years::parse_years(db, inputs, default_level, &entered_by, today_lima().year()).await?;
    let observations = years::parse_observations(observations)?;
    let actas = years_from_actas(db, request.student_id, request.school_id).await?;
    if let Some(year) = typed
        .iter()
        .find(|t| actas.iter().any(|a| a.year == t.year.year))
    {
        return Err(ApiError::because(
            ErrorCode::YearFromActas,
            format!(
                "El año {} ya tiene notas en actas cerradas del SIAGIE: no se registra a mano.",
                year.year.year
            ),
        ));
    }
    let at = now();
    for t in &typed {
        certificate_year::ActiveModel {
            request_id: Set(request.id),
            year: Set(t.year.year),
            grade: Set(t.year.grade.clone()),
            level: Set(t.year.level),
            codigo_modular: Set(t.year.codigo_modular.clone()),
            registered: Set(t.registered),
            school_name: Set(t.year.school_name.clone()),
            situation: Set(t.year.situation.clone()),
            areas: Set(serde_json::to_string(&t.year.areas).unwrap_or_else(|_| "[]".into())),
            entered_by: Set(p.user_id),
            entered_by_name: Set(entered_by.clone()),
            entered_at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    let last_year = typed
        .iter()
        .map(|t| t.year.year)
        .chain(actas.iter().map(|a| a.year))
        .max();
    let mut active: certificate_request::ActiveModel = request.into();
    active.observations = Set(serde_json::to_string(&observations).unwrap_or_else(|_| "[]".into()));
    active.last_year = Set(last_year);
    Ok(active.update(db).await?)
}

/// A request by id; 404 when there is none.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<certificate_request::Model> {
    certificate_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la solicitud de certificado"))
}

/// 409 unless the request is pending.
pub fn pending(request: &certificate_request::Model) -> Result<()> {
    if request.status == RequestStatus::Pending {
        Ok(())
    } else {
        Err(ErrorCode::RequestDecided.into())
    }
}

/// A request with its student and years.
pub async fn view(
    db: &impl ConnectionTrait,
    request: certificate_request::Model,
) -> Result<RequestView> {
    let student = student::Entity::find_by_id(request.student_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el estudiante"))?;
    let years = certificate_years(db, &request).await?;
    let missing = missing(&years);
    let state = match request.status {
        RequestStatus::Issued => "emitido",
        RequestStatus::Rejected => "rechazado",
        RequestStatus::Pending if missing.is_empty() => "informacion_completa",
        RequestStatus::Pending => "informacion_incompleta",
    };
    let guardian = match (&request.guardian_dni, &request.guardian_names) {
        (Some(dni), Some(names)) => Some(Guardian {
            dni: dni.clone(),
            names: names.clone(),
            relationship: request.guardian_relationship.clone().unwrap_or_default(),
            contact: request.guardian_contact.clone(),
        }),
        _ => None,
    };
    Ok(RequestView {
        id: request.id,
        school_id: request.school_id,
        status: request.status,
        origin: request.origin,
        student: StudentView {
            id: student.id,
            document: document_of(&student),
            name: listed_name(&student),
            birth_date: student.birth_date,
        },
        guardian,
        additional_info: request.additional_info.clone(),
        purpose: request.purpose.clone(),
        observations: serde_json::from_str(&request.observations).unwrap_or_default(),
        years,
        state: state.into(),
        missing,
        last_year: request.last_year,
        created_at: request.created_at,
        reject_reason: request.reject_reason.clone(),
        certificate_id: request.certificate_id,
        number: request.number.clone(),
    })
}

/// A request of the caller's IE.
pub async fn read(
    db: &sea_orm::DatabaseConnection,
    p: &Principal,
    request_id: i64,
) -> Result<RequestView> {
    let request = find(db, request_id).await?;
    access::issuer(db, p, request.school_id).await?;
    view(db, request).await
}

/// Rejects a pending request with a reason; a public request's requester is told by e-mail.
pub async fn reject(
    db: &sea_orm::DatabaseConnection,
    p: &Principal,
    request_id: i64,
    reason: Reason,
) -> Result<RequestView> {
    let request = find(db, request_id).await?;
    let scope = access::issuer(db, p, request.school_id).await?;
    pending(&request)?;
    let reason = reason
        .reason
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !crate::domain::said(&reason) || reason.chars().count() > 500 {
        return Err(ApiError::field(
            "reason",
            "Indique el motivo del rechazo (hasta 500 caracteres).",
        ));
    }
    let txn = crate::db::begin(db).await?;
    let at = now();
    let changed = certificate_request::Entity::update_many()
        .col_expr(
            certificate_request::Column::Status,
            Expr::value(RequestStatus::Rejected),
        )
        .col_expr(
            certificate_request::Column::RejectReason,
            Expr::value(reason.clone()),
        )
        .col_expr(
            certificate_request::Column::DecidedBy,
            Expr::value(p.user_id),
        )
        .col_expr(certificate_request::Column::DecidedAt, Expr::value(at))
        .filter(certificate_request::Column::Id.eq(request.id))
        .filter(certificate_request::Column::Status.eq(RequestStatus::Pending))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(ErrorCode::RequestDecided.into());
    }
    let mail = match &request.requester_email {
        Some(email) => vec![super::mail::rejected(email, &reason, &scope.school.name)?],
        None => Vec::new(),
    };
    record(
        &txn,
        Change::Certificate {
            event: Some(
                Event::new(AuditAction::CertificateRequestRejected, request.id)
                    .by(p.user_id)
                    .in_unit(scope.target)
                    .after(&serde_json::json!({"reason": reason})),
            ),
            mail,
        },
    )
    .await?;
    txn.commit().await?;
    let request = find(db, request_id).await?;
    view(db, request).await
}
