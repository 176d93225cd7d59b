//! Closed records change only through an exceptional modification, never by the side door of the
//! registry: a change of the roster or the calendar that would alter a closed month's register is
//! refused, naming the registers it would alter, and so is a change of who a closed acta lists.
//! The registry asks here, below the attendance and evaluation modules that close them.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Query,
};
use serde::Serialize;

use entity::{acta, attendance_register, school, section};

use crate::error::ErrorCode;
use crate::error::{ApiError, Result};

/// The sections a change reaches.
pub enum Sections {
    /// These sections.
    Ids(Vec<i64>),
    /// Every section of an IE.
    School(i64),
    /// Every section of the IEs of a UGEL.
    Ugel(i64),
    /// Every section of the country.
    National,
}

/// A closed register a change would alter.
#[derive(Debug, Serialize)]
struct Closed {
    section_id: i64,
    year: i32,
    month: i16,
}

/// 409 `register_closed` when a register of the sections, for a month from `from` to `to`, is
/// closed with no exceptional modification enabled at `now`.
pub async fn refuse_if_closed(
    db: &impl ConnectionTrait,
    sections: Sections,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<()> {
    let (fy, fm) = (from.year(), from.month() as i16);
    let (ty, tm) = (to.year(), to.month() as i16);
    let months = Condition::all()
        .add(
            Condition::any()
                .add(attendance_register::Column::Year.gt(fy))
                .add(
                    Condition::all()
                        .add(attendance_register::Column::Year.eq(fy))
                        .add(attendance_register::Column::Month.gte(fm)),
                ),
        )
        .add(
            Condition::any()
                .add(attendance_register::Column::Year.lt(ty))
                .add(
                    Condition::all()
                        .add(attendance_register::Column::Year.eq(ty))
                        .add(attendance_register::Column::Month.lte(tm)),
                ),
        );
    // The lock condition of `engine::locked`.
    let locked = Condition::all()
        .add(attendance_register::Column::ClosedAt.is_not_null())
        .add(
            Condition::any()
                .add(attendance_register::Column::ModificationUntil.is_null())
                .add(attendance_register::Column::ModificationUntil.lte(now)),
        );
    let of_schools = |schools: Condition| {
        attendance_register::Column::SectionId.in_subquery(
            Query::select()
                .column(section::Column::Id)
                .from(section::Entity)
                .cond_where(schools)
                .to_owned(),
        )
    };
    let reach = match sections {
        Sections::Ids(ids) if ids.is_empty() => return Ok(()),
        Sections::Ids(ids) => {
            Condition::all().add(attendance_register::Column::SectionId.is_in(ids))
        }
        Sections::School(id) => Condition::all().add(of_schools(
            Condition::all().add(section::Column::SchoolId.eq(id)),
        )),
        Sections::Ugel(id) => Condition::all().add(of_schools(
            Condition::all().add(
                section::Column::SchoolId.in_subquery(
                    Query::select()
                        .column(school::Column::Id)
                        .from(school::Entity)
                        .and_where(school::Column::UgelId.eq(id))
                        .to_owned(),
                ),
            ),
        )),
        Sections::National => Condition::all(),
    };
    let closed: Vec<Closed> = attendance_register::Entity::find()
        .filter(months)
        .filter(locked)
        .filter(reach)
        .order_by_asc(attendance_register::Column::Year)
        .order_by_asc(attendance_register::Column::Month)
        .order_by_asc(attendance_register::Column::SectionId)
        .all(db)
        .await?
        .into_iter()
        .map(|r| Closed {
            section_id: r.section_id,
            year: r.year,
            month: r.month,
        })
        .collect();
    if closed.is_empty() {
        return Ok(());
    }
    let months: std::collections::BTreeSet<String> = closed
        .iter()
        .map(|c| format!("{:02}/{}", c.month, c.year))
        .collect();
    let count = closed.len();
    Err(ApiError::because(
        ErrorCode::RegisterClosed,
        format!(
            "El cambio alteraría {} ya {} ({}). Solicite antes la modificación excepcional de {}.",
            if count == 1 {
                "un registro de asistencia".to_owned()
            } else {
                format!("{count} registros de asistencia")
            },
            if count == 1 { "cerrado" } else { "cerrados" },
            months.into_iter().collect::<Vec<_>>().join(", "),
            if count == 1 {
                "ese registro"
            } else {
                "esos registros"
            },
        ),
    )
    .with_details(serde_json::json!({ "registers": closed })))
}

/// 409 `acta_closed` when the section's acta is closed and no exceptional modification is enabled
/// for it at `at`.
pub async fn refuse_if_acta_closed(
    db: &impl ConnectionTrait,
    section_id: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    let closed = acta::Entity::find()
        .filter(acta::Column::SectionId.eq(section_id))
        .filter(acta::Column::ClosedAt.is_not_null())
        .filter(
            Condition::any()
                .add(acta::Column::ModificationUntil.is_null())
                .add(acta::Column::ModificationUntil.lte(at)),
        )
        .one(db)
        .await?;
    match closed {
        Some(_) => Err(ApiError::because(
            ErrorCode::ActaClosed,
            "El acta de evaluación de la sección está cerrada: la matrícula no cambia sin una modificación excepcional habilitada por la UGEL.",
        )),
        None => Ok(()),
    }
}
