//! Closing a month's register: completing the empty cells up to a day, closing a complete
//! register (the director), and the marks that arrived for a closed month, held for review and
//! applied only while an exceptional modification is open.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use mobile_contract::AttendanceStatus;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use entity::{
    attendance_register, held_mark,
    vocabulary::{HeldReview, ModificationKind},
};

use super::{
    cells::{register_row, save_cells},
    codes, engine,
    places::Places,
    register::{self, Register, State},
    scope::in_reach,
};
use crate::{
    auth::{policy::Action, principal::Principal},
    error::{ApiError, ErrorCode, Result},
    record::{AuditAction, Change, Event, record},
    time::{LIMA, now},
};

/// `POST …/complete` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CompleteInput {
    /// Fill every empty academic cell from the first day of the month up to this day.
    pub up_to_day: u32,
}

/// "Completar asistencias hasta día N": every empty academic cell up to day N becomes `asistio`.
pub async fn complete(
    db: &DatabaseConnection,
    places: &Places,
    p: &Principal,
    id: i64,
    year: i32,
    month: u32,
    body: CompleteInput,
) -> Result<Register> {
    let (scope, calendar) = in_reach(db, p, id, Action::TakeAttendance).await?;
    let until = NaiveDate::from_ymd_opt(year, month, body.up_to_day)
        .ok_or_else(|| ApiError::field("up_to_day", "El día no existe en ese mes."))?;
    let today = now().with_timezone(&LIMA).date_naive();
    if until > today {
        return Err(ApiError::field(
            "up_to_day",
            "No se puede completar asistencias de días futuros.",
        ));
    }
    let current = register::build(db, &scope, &calendar, year, month, now()).await?;
    if current.state == State::Cerrado {
        return Err(ApiError::from(ErrorCode::RegisterClosed));
    }
    let cells: Vec<(i64, NaiveDate, AttendanceStatus)> = current
        .rows
        .iter()
        .flat_map(|row| {
            row.cells
                .iter()
                .filter(|c| c.reason == Some("pendiente") && c.date <= until)
                .map(move |c| (row.student_id, c.date, AttendanceStatus::Asistio))
        })
        .collect();
    if !cells.is_empty() {
        let txn = crate::db::begin(db).await?;
        save_cells(&txn, places, p, &scope, year, month, &cells).await?;
        txn.commit().await?;
    }
    register::build(db, &scope, &calendar, year, month, now()).await
}

/// Close a complete register (the director). An incomplete one is refused with what is missing.
pub async fn close(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    year: i32,
    month: u32,
) -> Result<Register> {
    let (scope, calendar) = in_reach(db, p, id, Action::CloseRegister).await?;
    let at = now();
    let current = register::build(db, &scope, &calendar, year, month, at).await?;
    match current.state {
        State::Cerrado => {
            return Err(ApiError::from(ErrorCode::RegisterClosed));
        }
        State::Completo => {}
        State::SinDatos | State::Parcial => {
            let missing: Vec<_> = current
                .rows
                .iter()
                .filter_map(|row| {
                    let dates: Vec<NaiveDate> = row.cells.iter().filter(|c| c.reason == Some("pendiente")).map(|c| c.date).collect();
                    (!dates.is_empty()).then(|| serde_json::json!({"student_id": row.student_id, "full_name": row.full_name, "dates": dates}))
                })
                .collect();
            return Err(ApiError::because(
                ErrorCode::RegisterIncomplete,
                if current.missing_cells == 1 {
                    "El registro no está completo: falta 1 celda de un día académico.".to_owned()
                } else {
                    format!(
                        "El registro no está completo: faltan {} celdas de días académicos.",
                        current.missing_cells
                    )
                },
            )
            .with_details(serde_json::json!({ "missing": missing })));
        }
    }
    let txn = crate::db::begin(db).await?;
    let row = match register_row(&txn, id, year, month).await? {
        Some(existing) => {
            let mut active: attendance_register::ActiveModel = existing.into();
            active.closed_at = Set(Some(at));
            active.closed_by = Set(Some(p.user_id));
            active.modification_until = Set(None);
            active.update(&txn).await?
        }
        None => {
            attendance_register::ActiveModel {
                section_id: Set(id),
                year: Set(year),
                month: Set(month as i16),
                closed_at: Set(Some(at)),
                closed_by: Set(Some(p.user_id)),
                modification_until: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    crate::exceptional::close_open(&txn, ModificationKind::Register, row.id, at).await?;
    let event = Event::new(AuditAction::RegisterClosed, row.id)
        .by(p.user_id)
        .in_unit(scope.target)
        .after(&row);
    let change = Change::RegisterState {
        school_id: scope.school.id,
        section_id: id,
        register_id: row.id,
        event,
    };
    record(&txn, change).await?;
    txn.commit().await?;
    register::build(db, &scope, &calendar, year, month, now()).await
}

/// A mark held because it arrived for a closed month.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldMark {
    pub mark_id: Uuid,
    pub enrollment_id: i64,
    pub date: NaiveDate,
    #[schema(value_type = Option<String>)]
    pub status: Option<AttendanceStatus>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub user_id: i64,
    pub device_id: Option<Uuid>,
    /// The student's document (DNI or código de estudiante).
    pub document: String,
    /// "Apellido Apellido, Nombres".
    pub student: String,
    /// The code that stands in the register for that student and day, if any.
    #[schema(value_type = Option<String>)]
    pub standing: Option<AttendanceStatus>,
    /// Who sent the mark (names).
    pub teacher: String,
    /// The mark's note (the reason of a falta justificada).
    pub note: Option<String>,
}

/// Marks held for review in a closed month (the director).
pub async fn held(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    year: i32,
    month: u32,
) -> Result<Vec<HeldMark>> {
    in_reach(db, p, id, Action::CloseRegister).await?;
    let rows = held_marks(db, id, year, month).await?;
    let students: HashMap<i64, entity::student::Model> = entity::enrollment::Entity::find()
        .filter(entity::enrollment::Column::Id.is_in(rows.iter().map(|m| m.enrollment_id)))
        .find_also_related(entity::student::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(e, s)| Some((e.id, s?)))
        .collect();
    let accounts: HashMap<i64, i64> = entity::user_account::Entity::find()
        .filter(entity::user_account::Column::Id.is_in(rows.iter().map(|m| m.user_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.person_id))
        .collect();
    let people: HashMap<i64, String> = entity::person::Entity::find()
        .filter(entity::person::Column::Id.is_in(accounts.values().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| {
            (
                p.id,
                format!(
                    "{} {} {}",
                    p.given_names, p.paternal_surname, p.maternal_surname
                ),
            )
        })
        .collect();
    let mut standing = HashMap::new();
    for day in entity::section_day::Entity::find()
        .filter(entity::section_day::Column::SectionId.eq(id))
        .filter(entity::section_day::Column::Date.is_in(rows.iter().map(|m| m.date)))
        .all(db)
        .await?
    {
        for cell in super::store::cells(&day)? {
            standing.insert((cell.enrollment_id, day.date), cell.status);
        }
    }
    let mut out: Vec<HeldMark> = rows
        .into_iter()
        .map(|m| {
            let s = students.get(&m.enrollment_id);
            HeldMark {
                mark_id: m.mark_id,
                enrollment_id: m.enrollment_id,
                date: m.date,
                status: codes::from_db(m.status),
                recorded_at: DateTime::from_timestamp_micros(m.recorded_at_us),
                received_at: m.received_at,
                user_id: m.user_id,
                device_id: m.device_id,
                document: s
                    .and_then(|s| s.dni.clone().or(s.student_code.clone()))
                    .unwrap_or_default(),
                student: s
                    .map(|s| {
                        format!(
                            "{} {}, {}",
                            s.paternal_surname, s.maternal_surname, s.given_names
                        )
                    })
                    .unwrap_or_default(),
                standing: standing
                    .get(&(m.enrollment_id, m.date))
                    .and_then(|v| codes::from_db(*v)),
                teacher: accounts
                    .get(&m.user_id)
                    .and_then(|person| people.get(person))
                    .cloned()
                    .unwrap_or_default(),
                note: m.note,
            }
        })
        .collect();
    out.sort_by_cached_key(|h| (crate::domain::spanish_key(&h.student), h.date));
    Ok(out)
}

async fn held_marks(
    db: &impl ConnectionTrait,
    section_id: i64,
    year: i32,
    month: u32,
) -> Result<Vec<held_mark::Model>> {
    let days = super::calendar::month_days(year, month);
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Ok(Vec::new());
    };
    Ok(held_mark::Entity::find()
        .filter(held_mark::Column::SectionId.eq(section_id))
        .filter(held_mark::Column::Date.between(*first, *last))
        .filter(held_mark::Column::Review.eq(HeldReview::Pending))
        .order_by_asc(held_mark::Column::Id)
        .all(db)
        .await?)
}

/// `POST …/held/apply` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ApplyHeld {
    /// The held marks to apply; the others stay held.
    pub mark_ids: Vec<Uuid>,
}

/// Apply held marks (the director), only while an exceptional modification is open.
pub async fn apply_held(
    db: &DatabaseConnection,
    places: &Places,
    p: &Principal,
    id: i64,
    year: i32,
    month: u32,
    body: ApplyHeld,
) -> Result<Register> {
    let (scope, calendar) = in_reach(db, p, id, Action::CloseRegister).await?;
    let at = now();
    let register = register_row(db, id, year, month).await?;
    if register.as_ref().is_none_or(|r| engine::is_locked(r, at)) {
        return Err(ApiError::because(
            ErrorCode::RegisterClosed,
            "Las marcas retenidas solo se aplican durante una modificación excepcional habilitada por la UGEL.",
        ));
    }
    let held = held_marks(db, id, year, month).await?;
    let chosen: Vec<&held_mark::Model> = held
        .iter()
        .filter(|m| body.mark_ids.contains(&m.mark_id))
        .collect();
    if chosen.len() != body.mark_ids.len() {
        return Err(ApiError::field(
            "mark_ids",
            "Alguna marca no está retenida en este registro.",
        ));
    }
    // Applying is the director's decision: each held mark is written again now, as the
    // director's, so it stands over anything recorded before; the held mark stays in the history.
    let cells: Vec<(i64, NaiveDate, AttendanceStatus)> = {
        let students: HashMap<i64, i64> = entity::enrollment::Entity::find()
            .filter(entity::enrollment::Column::SectionId.eq(id))
            .all(db)
            .await?
            .into_iter()
            .map(|e| (e.id, e.student_id))
            .collect();
        chosen
            .iter()
            .filter_map(|m| {
                Some((
                    *students.get(&m.enrollment_id)?,
                    m.date,
                    codes::from_db(m.status)?,
                ))
            })
            .collect()
    };
    let txn = crate::db::begin(db).await?;
    save_cells(&txn, places, p, &scope, year, month, &cells).await?;
    held_mark::Entity::update_many()
        .col_expr(
            held_mark::Column::Review,
            sea_orm::sea_query::Expr::value(HeldReview::Applied),
        )
        .filter(held_mark::Column::MarkId.is_in(body.mark_ids.clone()))
        .exec(&txn)
        .await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::HeldMarksApplied, register.map(|r| r.id))
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&body.mark_ids),
        ),
    )
    .await?;
    txn.commit().await?;
    register::build(db, &scope, &calendar, year, month, now()).await
}

/// Set held marks aside (the director), at any time: they never enter the register, and stay in
/// the history as dismissed.
pub async fn dismiss_held(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    year: i32,
    month: u32,
    body: ApplyHeld,
) -> Result<Register> {
    let (scope, calendar) = in_reach(db, p, id, Action::CloseRegister).await?;
    let held = held_marks(db, id, year, month).await?;
    let chosen = held
        .iter()
        .filter(|m| body.mark_ids.contains(&m.mark_id))
        .count();
    if body.mark_ids.is_empty() || chosen != body.mark_ids.len() {
        return Err(ApiError::field(
            "mark_ids",
            "Alguna marca no está retenida en este registro.",
        ));
    }
    let register = register_row(db, id, year, month).await?;
    let txn = crate::db::begin(db).await?;
    held_mark::Entity::update_many()
        .col_expr(
            held_mark::Column::Review,
            sea_orm::sea_query::Expr::value(HeldReview::Dismissed),
        )
        .filter(held_mark::Column::MarkId.is_in(body.mark_ids.clone()))
        .filter(held_mark::Column::SectionId.eq(id))
        .exec(&txn)
        .await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::HeldMarksDismissed, register.map(|r| r.id))
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&body.mark_ids),
        ),
    )
    .await?;
    txn.commit().await?;
    register::build(db, &scope, &calendar, year, month, now()).await
}
