//! Current students (§5.2): the state of each student of a section (INFORMACIÓN COMPLETA,
//! INFORMACIÓN INCOMPLETA and what is missing, POR EMITIR, EMITIDO), and issuing the certificates
//! of the students ticked in one step: one transaction for the batch, one audit event per
//! certificate, one combined PDF.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use entity::{
    certificate::{self, CertificateStatus},
    certificate_request::{self, RequestOrigin, RequestStatus},
    enrollment, student,
};

use super::{
    Certificates, access,
    completeness::missing_grades,
    issue::{self, IssuedView},
    pdf::{self, Sheet},
    record::years_from_actas,
    request_years,
    requests::{self, document_of, listed_name},
};
use crate::{
    auth::principal::Principal,
    domain::spanish_key,
    error::{ApiError, ErrorCode, Result},
    registry::repo::{SchoolScope, section_scope},
    time::now,
};

/// Most certificates issued or printed together.
pub const MAX_BATCH: usize = 200;

/// One student of a section and where its certificate stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionRow {
    pub student_id: i64,
    /// "PATERNO MATERNO, NOMBRES".
    pub name: String,
    pub document: String,
    /// `informacion_completa`, `informacion_incompleta`, `por_emitir` or `emitido`.
    pub state: String,
    /// What is missing, for `informacion_incompleta`.
    pub missing: Vec<String>,
    /// The pending request that would be issued.
    pub request_id: Option<i64>,
    /// The valid certificate, for `emitido`.
    pub certificate_id: Option<i64>,
}

/// The students ticked.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Batch {
    pub section_id: i64,
    pub student_ids: Vec<i64>,
}

/// A student left out of a batch, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct Skipped {
    pub student_id: i64,
    pub reason: String,
}

/// What a batch issued.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    pub issued: Vec<IssuedView>,
    pub skipped: Vec<Skipped>,
    /// Where the combined PDF of the certificates issued is.
    pub pdf_path: Option<String>,
}

/// The students of a section (in alphabetical order) and the state of their certificates.
pub async fn section_status(
    db: &impl ConnectionTrait,
    p: &Principal,
    section_id: i64,
) -> Result<Vec<SectionRow>> {
    let scope = section_scope(db, section_id).await?;
    let school_id = scope.section.school_id;
    access::issuer(db, p, school_id).await?;
    // A student enrolled late whose regularization is not approved is not the IE's to certify.
    let students: Vec<student::Model> = enrollment::Entity::find()
        .filter(enrollment::Column::SectionId.eq(section_id))
        .filter(crate::registry::regularization::counting_enrollments())
        .find_also_related(student::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(_, s)| s)
        .collect();
    let ids: Vec<i64> = students.iter().map(|s| s.id).collect();
    let valid: HashMap<i64, i64> = certificate::Entity::find()
        .filter(certificate::Column::SchoolId.eq(school_id))
        .filter(certificate::Column::StudentId.is_in(ids.clone()))
        .filter(certificate::Column::Status.eq(CertificateStatus::Valid))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.student_id, c.id))
        .collect();
    let mut pending: HashMap<i64, certificate_request::Model> = HashMap::new();
    for r in certificate_request::Entity::find()
        .filter(certificate_request::Column::SchoolId.eq(school_id))
        .filter(certificate_request::Column::StudentId.is_in(ids))
        .filter(certificate_request::Column::Status.eq(RequestStatus::Pending))
        .order_by_asc(certificate_request::Column::Id)
        .all(db)
        .await?
    {
        pending.insert(r.student_id, r);
    }
    let mut rows = Vec::with_capacity(students.len());
    for s in students {
        let mut row = SectionRow {
            student_id: s.id,
            name: listed_name(&s),
            document: document_of(&s),
            state: String::new(),
            missing: Vec::new(),
            request_id: None,
            certificate_id: valid.get(&s.id).copied(),
        };
        if row.certificate_id.is_some() {
            row.state = "emitido".into();
        } else if let Some(request) = pending.get(&s.id) {
            let years = request_years::certificate_years(db, request).await?;
            row.missing = request_years::missing(&years);
            row.request_id = Some(request.id);
            row.state = if row.missing.is_empty() {
                "informacion_completa"
            } else {
                "informacion_incompleta"
            }
            .into();
        } else if let actas = years_from_actas(db, s.id, school_id).await?
            && !actas.is_empty()
        {
            row.missing = missing_grades(&actas);
            row.state = if row.missing.is_empty() {
                "por_emitir"
            } else {
                "informacion_incompleta"
            }
            .into();
        } else {
            row.state = "informacion_incompleta".into();
            row.missing.push(
                "No hay años con notas en actas cerradas: registre una solicitud con los años transcritos."
                    .into(),
            );
        }
        rows.push(row);
    }
    rows.sort_by_key(|r| spanish_key(&r.name));
    Ok(rows)
}

/// Issues the certificates of the students ticked that are complete or ready, in one
/// transaction; the others are answered as skipped, with why.
pub async fn issue_batch(
    db: &DatabaseConnection,
    service: &Certificates,
    p: &Principal,
    batch: Batch,
) -> Result<BatchResult> {
    if batch.student_ids.is_empty() || batch.student_ids.len() > MAX_BATCH {
        return Err(ApiError::field(
            "student_ids",
            format!("Marque entre 1 y {MAX_BATCH} estudiantes."),
        ));
    }
    let section = section_scope(db, batch.section_id).await?;
    let school = access::issuer(db, p, section.section.school_id).await?;
    let mut skipped = Vec::new();
    // Decided inside the transaction: a batch begun while another was issuing sees what that one
    // committed (SQLite's write lock, PostgreSQL's unique index on the valid certificates), and a
    // student another transaction issued meanwhile is skipped, not issued twice.
    let txn = crate::db::begin(db).await?;
    let rows = section_status(&txn, p, batch.section_id).await?;
    let mut issued = Vec::new();
    // In one order whatever the order ticked, so that two batches never wait on each other.
    let mut ticked = batch.student_ids.clone();
    ticked.sort_unstable();
    ticked.dedup();
    for student_id in &ticked {
        let Some(row) = rows.iter().find(|r| r.student_id == *student_id) else {
            skipped.push(Skipped {
                student_id: *student_id,
                reason: "El estudiante no está en la sección.".into(),
            });
            continue;
        };
        if !matches!(
            (row.state.as_str(), row.request_id),
            ("informacion_completa", Some(_)) | ("por_emitir", _)
        ) {
            skipped.push(Skipped {
                student_id: row.student_id,
                reason: if row.state == "emitido" {
                    "Ya tiene un certificado vigente.".into()
                } else {
                    format!("Información incompleta: {}", row.missing.join(" "))
                },
            });
            continue;
        }
        // Each student in a savepoint: a conflict undoes only that student's writes.
        // A savepoint inside the transaction `db::begin` began.
        #[allow(clippy::disallowed_methods)]
        let savepoint = txn.begin().await?;
        match issue_one(&savepoint, service, p, &school, row).await {
            Ok(certificate) => {
                savepoint.commit().await?;
                issued.push(certificate);
            }
            Err(error)
                if matches!(
                    error.code(),
                    Some(ErrorCode::CertificateAlreadyValid | ErrorCode::RequestDecided)
                ) =>
            {
                savepoint.rollback().await?;
                skipped.push(Skipped {
                    student_id: row.student_id,
                    reason: client_message(&error),
                });
            }
            Err(error) => return Err(error),
        }
    }
    txn.commit().await?;
    let mut views = Vec::with_capacity(issued.len());
    for c in issued {
        views.push(issue::view(db, service, c).await?);
    }
    let pdf_path = (!views.is_empty()).then(|| {
        format!(
            "/api/v1/certificates/batch-pdf?ids={}",
            views
                .iter()
                .map(|v| v.id.to_string())
                .collect::<Vec<_>>()
                .join(",")
        )
    });
    Ok(BatchResult {
        issued: views,
        skipped,
        pdf_path,
    })
}

/// Issues one student's certificate: its pending request, or a new one for years from actas.
async fn issue_one(
    txn: &impl ConnectionTrait,
    service: &Certificates,
    p: &Principal,
    school: &SchoolScope,
    row: &SectionRow,
) -> Result<certificate::Model> {
    let request = match row.request_id {
        Some(id) => requests::find(txn, id).await?,
        None => {
            let student = student::Entity::find_by_id(row.student_id)
                .one(txn)
                .await?
                .ok_or_else(|| ApiError::not_found("el estudiante"))?;
            certificate_request::ActiveModel {
                school_id: Set(school.school.id),
                student_id: Set(student.id),
                status: Set(RequestStatus::Pending),
                origin: Set(RequestOrigin::Direct),
                observations: Set("[]".into()),
                search_name: Set(spanish_key(&listed_name(&student))),
                created_by: Set(Some(p.user_id)),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(txn)
            .await?
        }
    };
    issue::issue_in(txn, service, p, school, &request, None).await
}

fn client_message(error: &ApiError) -> String {
    match error {
        ApiError::Client { message, .. } => message.to_string(),
        ApiError::Internal(_) => ErrorCode::InternalError.message().to_owned(),
    }
}

/// The certificates of the caller's IE with these ids, as one PDF (a page each).
pub async fn combined_pdf(
    db: &DatabaseConnection,
    service: &Certificates,
    p: &Principal,
    ids: &str,
) -> Result<Vec<u8>> {
    let mut ids: Vec<i64> = ids
        .split(',')
        .map(|i| i.trim().parse::<i64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| ApiError::field("ids", "Indique identificadores separados por comas."))?;
    // A certificate named twice is printed once, in the order first named.
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return Err(ApiError::field(
            "ids",
            format!("Indique entre 1 y {MAX_BATCH} certificados."),
        ));
    }
    let mut certificates = Vec::with_capacity(ids.len());
    let mut allowed: HashMap<i64, String> = HashMap::new();
    for id in ids {
        let c = issue::find(db, id).await?;
        if let std::collections::hash_map::Entry::Vacant(entry) = allowed.entry(c.school_id) {
            let scope = access::issuer(db, p, c.school_id).await?;
            entry.insert(scope.school.district);
        }
        certificates.push(c);
    }
    let mut parts = Vec::with_capacity(certificates.len());
    for c in &certificates {
        parts.push((
            issue::stored_content(c)?,
            c.student_document.clone(),
            allowed.get(&c.school_id).cloned().unwrap_or_default(),
            service.qr_text(&c.cose),
        ));
    }
    let verify_url = service.verify_url();
    crate::time::spawn_blocking(move || {
        let sheets: Vec<Sheet> = parts
            .iter()
            .map(|(content, document, place, qr)| Sheet {
                content,
                document,
                place,
                qr_text: Some(qr),
                verify_url: &verify_url,
                digital: false,
            })
            .collect();
        pdf::render_all("Certificados oficiales de estudios", &sheets)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))
}
