//! The issued certificates and the requests of an IE (§7, §8; pending ones for §6), searchable by
//! document number, names, date range and last year, page by page.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use entity::{
    certificate::{self, CertificateStatus},
    certificate_request::{self, RequestOrigin, RequestStatus},
    student,
};

use super::{
    access,
    requests::{document_of, listed_name},
};
use crate::{
    auth::principal::Principal,
    domain::spanish_key,
    error::{ApiError, ErrorCode, Result},
    http::{Page, PageParams},
    time::LIMA,
};

/// Search filters of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Search {
    pub school_id: i64,
    /// `pending`, `issued` or `rejected` (requests only; default `pending`).
    #[param(value_type = Option<String>)]
    pub status: Option<RequestStatus>,
    /// The student's DNI or código de estudiante.
    pub document: Option<String>,
    /// Part of the student's names or surnames (case and accents do not count).
    pub name: Option<String>,
    /// From this day (issue date, or request/decision date), in Lima.
    pub from: Option<NaiveDate>,
    /// Up to this day.
    pub to: Option<NaiveDate>,
    pub last_year: Option<i32>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// A line of the issued list.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedLine {
    pub id: i64,
    pub virtual_code: String,
    pub status: CertificateStatus,
    pub student_id: i64,
    /// "PATERNO MATERNO, NOMBRES".
    pub student_name: String,
    pub student_document: String,
    pub last_year: Option<i32>,
    pub issued_at: DateTime<Utc>,
    pub annul_reason: Option<String>,
}

impl From<certificate::Model> for IssuedLine {
    fn from(c: certificate::Model) -> Self {
        Self {
            id: c.id,
            virtual_code: c.virtual_code,
            status: c.status,
            student_id: c.student_id,
            student_name: String::new(),
            student_document: c.student_document,
            last_year: c.last_year,
            issued_at: c.issued_at,
            annul_reason: c.annul_reason,
        }
    }
}

/// A line of a request list.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestLine {
    pub id: i64,
    pub status: RequestStatus,
    pub origin: RequestOrigin,
    pub student_id: i64,
    /// "PATERNO MATERNO, NOMBRES".
    pub student_name: String,
    /// The student's DNI or código de estudiante.
    pub student_document: String,
    pub last_year: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reject_reason: Option<String>,
    pub certificate_id: Option<i64>,
    /// A public request's number, as its requester quotes it.
    pub number: Option<String>,
}

impl From<certificate_request::Model> for RequestLine {
    fn from(r: certificate_request::Model) -> Self {
        Self {
            id: r.id,
            status: r.status,
            origin: r.origin,
            student_id: r.student_id,
            student_name: String::new(),
            student_document: String::new(),
            last_year: r.last_year,
            created_at: r.created_at,
            decided_at: r.decided_at,
            reject_reason: r.reject_reason,
            certificate_id: r.certificate_id,
            number: r.number,
        }
    }
}

/// Names and documents of students, by id.
async fn students(
    db: &DatabaseConnection,
    ids: Vec<i64>,
) -> Result<std::collections::HashMap<i64, (String, String)>> {
    let rows = student::Entity::find()
        .filter(student::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|s| (s.id, (listed_name(&s), document_of(&s))))
        .collect())
}

/// The start of a Lima day as an instant.
fn day_start(day: NaiveDate) -> Result<DateTime<Utc>> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(LIMA).earliest())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| ApiError::from(ErrorCode::InvalidQuery))
}

fn name_key(name: &Option<String>) -> Option<String> {
    // The wildcards of LIKE are taken out first: a search of "%" alone is no search.
    name.as_deref()
        .map(|n| spanish_key(n).replace(['%', '_'], ""))
        .filter(|k| !k.trim().is_empty())
        .map(|k| format!("%{k}%"))
}

/// Students with a document (a DNI or a código de estudiante), as a subquery of ids.
fn students_with(document: &str) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let document = document.trim().to_owned();
    Query::select()
        .column(student::Column::Id)
        .from(student::Entity)
        .cond_where(
            Expr::col(student::Column::Dni)
                .eq(document.clone())
                .or(Expr::col(student::Column::StudentCode).eq(document)),
        )
        .to_owned()
}

/// The issued certificates of an IE, newest first.
pub async fn issued(
    db: &DatabaseConnection,
    p: &Principal,
    search: Search,
) -> Result<Page<IssuedLine>> {
    access::issuer(db, p, search.school_id).await?;
    let mut query =
        certificate::Entity::find().filter(certificate::Column::SchoolId.eq(search.school_id));
    if let Some(document) = search.document.as_deref().filter(|d| !d.trim().is_empty()) {
        query = query.filter(certificate::Column::StudentId.in_subquery(students_with(document)));
    }
    if let Some(key) = name_key(&search.name) {
        query = query.filter(certificate::Column::SearchName.like(key));
    }
    if let Some(from) = search.from {
        query = query.filter(certificate::Column::IssuedAt.gte(day_start(from)?));
    }
    if let Some(to) = search.to.and_then(|d| d.succ_opt()) {
        query = query.filter(certificate::Column::IssuedAt.lt(day_start(to)?));
    }
    if let Some(year) = search.last_year {
        query = query.filter(certificate::Column::LastYear.eq(year));
    }
    let query = query
        .order_by_desc(certificate::Column::IssuedAt)
        .order_by_desc(certificate::Column::Id);
    let mut page: Page<IssuedLine> = Page::fetch(
        db,
        query,
        PageParams {
            page: search.page,
            per_page: search.per_page,
        },
    )
    .await?;
    let names = students(db, page.items.iter().map(|l| l.student_id).collect()).await?;
    for line in &mut page.items {
        if let Some((name, _)) = names.get(&line.student_id) {
            line.student_name = name.clone();
        }
    }
    Ok(page)
}

/// The requests of an IE in one state (pending by default), newest first.
pub async fn requests(
    db: &DatabaseConnection,
    p: &Principal,
    search: Search,
) -> Result<Page<RequestLine>> {
    access::issuer(db, p, search.school_id).await?;
    let status = search.status.unwrap_or(RequestStatus::Pending);
    let date = if status == RequestStatus::Pending {
        certificate_request::Column::CreatedAt
    } else {
        certificate_request::Column::DecidedAt
    };
    let mut query = certificate_request::Entity::find()
        .filter(certificate_request::Column::SchoolId.eq(search.school_id))
        .filter(certificate_request::Column::Status.eq(status));
    if let Some(document) = search.document.as_deref().filter(|d| !d.trim().is_empty()) {
        query = query
            .filter(certificate_request::Column::StudentId.in_subquery(students_with(document)));
    }
    if let Some(key) = name_key(&search.name) {
        query = query.filter(certificate_request::Column::SearchName.like(key));
    }
    if let Some(from) = search.from {
        query = query.filter(date.gte(day_start(from)?));
    }
    if let Some(to) = search.to.and_then(|d| d.succ_opt()) {
        query = query.filter(date.lt(day_start(to)?));
    }
    if let Some(year) = search.last_year {
        query = query.filter(certificate_request::Column::LastYear.eq(year));
    }
    let query = query
        .order_by_desc(date)
        .order_by_desc(certificate_request::Column::Id);
    let mut page: Page<RequestLine> = Page::fetch(
        db,
        query,
        PageParams {
            page: search.page,
            per_page: search.per_page,
        },
    )
    .await?;
    let names = students(db, page.items.iter().map(|l| l.student_id).collect()).await?;
    for line in &mut page.items {
        if let Some((name, document)) = names.get(&line.student_id) {
            line.student_name = name.clone();
            line.student_document = document.clone();
        }
    }
    Ok(page)
}
