//! Writing the monthly register from the web: cells one by one, all or nothing, through the
//! same rules as a tablet's marks (the engine). A closed register refuses changes unless an
//! exceptional modification is open, and then every change is audited with before and after.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use mobile_contract::{AttendanceStatus, Outcome};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use entity::attendance_register;

use super::{
    codes,
    engine::{self, Incoming, Source},
    places::Places,
    register::{self, Register},
    scope::in_reach,
};
use crate::{
    auth::{policy::Action, principal::Principal},
    error::{ApiError, ErrorCode, Result},
    record::{AuditAction, Change, Event, record},
    registry::repo::SectionScope,
    time::{LIMA, now},
};

/// One cell written from the web register.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CellInput {
    pub student_id: i64,
    pub date: NaiveDate,
    /// `asistio`, `falta`, `tardanza`, `falta_justificada` or `tardanza_justificada`.
    pub status: String,
    /// The status the writer last saw in the cell (`""` for none), to write only over it: when
    /// the register holds another by then, nothing is written (409 `changed_since_loaded`, each
    /// such cell under `details.cells`). Without it, the cell is written whatever stands.
    #[serde(default)]
    pub was: Option<String>,
}

/// `PUT …/cells` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CellsInput {
    pub cells: Vec<CellInput>,
}

/// A cell that could not be saved.
#[derive(Debug, Serialize, ToSchema)]
pub struct CellError {
    pub student_id: i64,
    pub date: NaiveDate,
    pub code: String,
    pub message: String,
}

/// Write cells of the register (the teacher of the section or the director).
pub async fn write(
    db: &DatabaseConnection,
    places: &Places,
    p: &Principal,
    id: i64,
    year: i32,
    month: u32,
    body: CellsInput,
) -> Result<Register> {
    let (scope, calendar) = in_reach(db, p, id, Action::TakeAttendance).await?;
    if body.cells.is_empty() || body.cells.len() > 2000 {
        return Err(ApiError::field("cells", "Envíe entre 1 y 2000 celdas."));
    }
    let mut cells = Vec::with_capacity(body.cells.len());
    let mut seen = Vec::new();
    let status_of = |field: &str, code: &str| {
        AttendanceStatus::parse(code).ok_or_else(|| {
            ApiError::field(field, format!("Código de asistencia no válido: «{code}»."))
        })
    };
    for cell in &body.cells {
        check_month(year, month, cell.date)?;
        let status = status_of("status", &cell.status)?;
        cells.push((cell.student_id, cell.date, status));
        if let Some(was) = cell.was.as_deref().map(str::trim) {
            let was = (!was.is_empty())
                .then(|| status_of("was", was))
                .transpose()?;
            seen.push((cell.student_id, cell.date, was.map(|s| s.code())));
        }
    }
    let txn = crate::db::begin(db).await?;
    unchanged_since_seen(&txn, scope.section.id, &seen).await?;
    save_cells(&txn, places, p, &scope, year, month, &cells).await?;
    txn.commit().await?;
    register::build(db, &scope, &calendar, year, month, now()).await
}

/// Saves cells of the register (all or nothing). A closed register refuses changes unless an
/// exceptional modification is open, and then every change is audited.
pub(super) async fn save_cells(
    txn: &DatabaseTransaction,
    places: &Places,
    p: &Principal,
    scope: &SectionScope,
    year: i32,
    month: u32,
    cells: &[(i64, NaiveDate, AttendanceStatus)],
) -> Result<usize> {
    let at = now();
    let register = register_row(txn, scope.section.id, year, month).await?;
    if register.as_ref().is_some_and(|r| engine::is_locked(r, at)) {
        return Err(ApiError::from(ErrorCode::RegisterClosed));
    }
    let audited = register.as_ref().is_some_and(|r| r.closed_at.is_some());
    let before = if audited {
        let keys: Vec<(i64, NaiveDate)> = cells.iter().map(|(s, d, _)| (*s, *d)).collect();
        Some(values_before(txn, scope.section.id, &keys, false).await?)
    } else {
        None
    };
    let recorded = at.with_timezone(&LIMA).fixed_offset();
    let incoming: Vec<Incoming> = cells
        .iter()
        .map(|(student, date, status)| Incoming {
            mark_id: Uuid::new_v4(),
            section_id: Some(scope.section.id),
            student_id: Some(*student),
            date: *date,
            status: Some(*status),
            recorded_at: recorded,
            note: None,
        })
        .collect();
    let results = engine::apply(txn, places, p, Source::Web, &incoming, at).await?;
    let errors: Vec<CellError> = results
        .iter()
        .zip(cells)
        .filter(|(r, _)| r.outcome == Outcome::Rejected)
        .map(|(r, (student, date, _))| CellError {
            student_id: *student,
            date: *date,
            code: r
                .code
                .map(|c| {
                    serde_json::to_value(c)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .unwrap_or_default(),
            message: r.message.clone().unwrap_or_default(),
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::from(ErrorCode::InvalidCells)
            .with_details(serde_json::json!({ "cells": errors })));
    }
    if let Some(before) = before {
        let cell = |s: &i64, d: &NaiveDate, status: Option<&str>| serde_json::json!({"student_id": s, "date": d, "status": status});
        record(txn, Change::Audited(Event::new(AuditAction::RegisterModified, register.as_ref().map(|r| r.id),
            )
            .by(p.user_id)
            .in_unit(scope.target)
            .before(&serde_json::json!({
                "year": year, "month": month,
                "cells": cells.iter().map(|(s, d, _)| cell(s, d, before.get(&(*s, *d)).copied())).collect::<Vec<_>>()
            }))
            .after(&serde_json::json!({
                "year": year, "month": month,
                "cells": cells.iter().map(|(s, d, st)| cell(s, d, Some(st.code()))).collect::<Vec<_>>()
            }))))
        .await?;
    }
    Ok(cells.len())
}

/// 409 `changed_since_loaded` when a cell no longer holds what its writer saw (`None`: empty).
/// Its days are locked first (PostgreSQL; a transaction on SQLite writes alone), so that nobody
/// changes them between this check and the write.
async fn unchanged_since_seen(
    txn: &DatabaseTransaction,
    section_id: i64,
    seen: &[(i64, NaiveDate, Option<&'static str>)],
) -> Result<()> {
    if seen.is_empty() {
        return Ok(());
    }
    let keys: Vec<(i64, NaiveDate)> = seen.iter().map(|(s, d, _)| (*s, *d)).collect();
    let now = values_before(txn, section_id, &keys, true).await?;
    let moved: Vec<CellError> = seen
        .iter()
        .filter(|(student, date, was)| now.get(&(*student, *date)).copied() != *was)
        .map(|(student, date, _)| CellError {
            student_id: *student,
            date: *date,
            code: ErrorCode::ChangedSinceLoaded.as_str().to_owned(),
            message: "Alguien más registró esta celda mientras editaba.".to_owned(),
        })
        .collect();
    if moved.is_empty() {
        return Ok(());
    }
    Err(ApiError::from(ErrorCode::ChangedSinceLoaded)
        .with_details(serde_json::json!({ "cells": moved })))
}

/// The codes that stand in some cells of a section, by student and day, before they change;
/// with `lock`, their days are locked until the transaction ends (PostgreSQL).
async fn values_before(
    db: &impl ConnectionTrait,
    section_id: i64,
    cells: &[(i64, NaiveDate)],
    lock: bool,
) -> Result<HashMap<(i64, NaiveDate), &'static str>> {
    let students: Vec<i64> = cells.iter().map(|(s, _)| *s).collect();
    let dates: Vec<NaiveDate> = cells.iter().map(|(_, d)| *d).collect();
    let of_enrollment: HashMap<i64, i64> = entity::enrollment::Entity::find()
        .filter(entity::enrollment::Column::SectionId.eq(section_id))
        .filter(entity::enrollment::Column::StudentId.is_in(students))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.student_id))
        .collect();
    let mut values = HashMap::new();
    let days = entity::section_day::Entity::find()
        .filter(entity::section_day::Column::SectionId.eq(section_id))
        .filter(entity::section_day::Column::Date.is_in(dates));
    let days = if lock {
        crate::db::dialect::for_update(days, db.get_database_backend())
    } else {
        days
    };
    for day in days.all(db).await? {
        for cell in super::store::cells(&day)? {
            if let (Some(student), Some(status)) = (
                of_enrollment.get(&cell.enrollment_id),
                codes::from_db(cell.status),
            ) {
                values.insert((*student, day.date), status.code());
            }
        }
    }
    Ok(values)
}

/// The register row of a section and month, if it was ever closed.
pub(super) async fn register_row(
    db: &impl ConnectionTrait,
    section_id: i64,
    year: i32,
    month: u32,
) -> Result<Option<attendance_register::Model>> {
    Ok(attendance_register::Entity::find()
        .filter(attendance_register::Column::SectionId.eq(section_id))
        .filter(attendance_register::Column::Year.eq(year))
        .filter(attendance_register::Column::Month.eq(month as i16))
        .one(db)
        .await?)
}

fn check_month(year: i32, month: u32, date: NaiveDate) -> Result<()> {
    if date.year() != year || date.month() != month {
        return Err(ApiError::field(
            "cells",
            "Todas las celdas deben pertenecer al mes del registro.",
        ));
    }
    Ok(())
}
