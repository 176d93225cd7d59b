//! Applying attendance marks, from tablets or from the web register: every rule of the tablet
//! contract, in one place. The caller runs it inside a transaction, so a batch is applied whole or
//! not at all.
//!
//! Convergence: for one student and day the mark with the latest `recorded_at` stands, ties broken
//! by the larger `mark_id`. The stored value is only ever replaced by a later one (the upsert
//! checks it in SQL), so batches converge to the same registers in any order.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc};
use mobile_contract::{AttendanceStatus, MarkResult, Outcome, RejectionCode};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use entity::{attendance_day, attendance_mark, attendance_register, enrollment};

use super::{calendar::SchoolCalendar, codes, places::Places};
use crate::{
    auth::{Action, Principal},
    error::Result,
    time::LIMA,
};

/// A mark as received, before any rule.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub mark_id: Uuid,
    pub section_id: String,
    pub student_id: String,
    pub date: NaiveDate,
    pub status: String,
    pub recorded_at: DateTime<FixedOffset>,
    pub note: Option<String>,
}

/// Where marks come from.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Tablet { device_id: Uuid, batch_id: Uuid },
    Web,
}

/// How far ahead of the server a device clock may be.
const CLOCK_SKEW: Duration = Duration::minutes(5);

/// Microseconds since the epoch: the stored, comparable form of `recorded_at`.
pub fn micros(at: DateTime<FixedOffset>) -> i64 {
    at.timestamp_micros()
}

/// What the rules need to know about one section.
struct SectionContext {
    section_id: i64,
    calendar: SchoolCalendar,
    allowed: bool,
}

/// Whether a register is closed to changes now: closed, and no exceptional modification open.
pub fn is_locked(register: &attendance_register::Model, now: DateTime<Utc>) -> bool {
    locked(register.closed_at, register.modification_until, now)
}

/// [`is_locked`] on the two columns it needs.
pub fn locked(
    closed_at: Option<DateTime<Utc>>,
    modification_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    closed_at.is_some() && modification_until.is_none_or(|until| until <= now)
}

/// Applies marks and answers one result per mark, in order.
pub async fn apply(
    db: &impl ConnectionTrait,
    places: &Places,
    principal: &Principal,
    source: Source,
    marks: &[Incoming],
    now: DateTime<Utc>,
) -> Result<Vec<MarkResult>> {
    let today = now.with_timezone(&LIMA).date_naive();

    // Sections, their IE, calendar and whether the caller may take attendance there.
    let section_ids: HashSet<i64> = marks
        .iter()
        .filter_map(|m| m.section_id.parse().ok())
        .collect();
    let places = places.of(db, &section_ids).await?;
    let mut contexts: HashMap<i64, SectionContext> = HashMap::new();
    let mut calendars: HashMap<(i64, i64), SchoolCalendar> = HashMap::new();
    for place in places.values() {
        let key = (place.school.id, place.year.id);
        if let std::collections::hash_map::Entry::Vacant(slot) = calendars.entry(key) {
            slot.insert(SchoolCalendar::load(db, &place.school, place.year.clone()).await?);
        }
        let target = place.school_target.with_section(place.section.id);
        contexts.insert(
            place.section.id,
            SectionContext {
                allowed: principal.can(Action::TakeAttendance, &target),
                calendar: calendars[&key].clone(),
                section_id: place.section.id,
            },
        );
    }

    // Enrollments of the students named, in those sections.
    let student_ids: HashSet<i64> = marks
        .iter()
        .filter_map(|m| m.student_id.parse().ok())
        .collect();
    let enrollments: HashMap<(i64, i64), enrollment::Model> =
        if contexts.is_empty() || student_ids.is_empty() {
            HashMap::new()
        } else {
            enrollment::Entity::find()
                .filter(enrollment::Column::SectionId.is_in(contexts.keys().copied()))
                .filter(enrollment::Column::StudentId.is_in(student_ids.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|e| ((e.section_id, e.student_id), e))
                .collect()
        };

    // Registers of the months touched, for closure.
    let months: HashSet<(i32, i16)> = marks
        .iter()
        .map(|m| (m.date.year(), m.date.month() as i16))
        .collect();
    let registers: HashMap<(i64, i32, i16), attendance_register::Model> = if contexts.is_empty() {
        HashMap::new()
    } else {
        attendance_register::Entity::find()
            .filter(attendance_register::Column::SectionId.is_in(contexts.keys().copied()))
            .filter(attendance_register::Column::Year.is_in(months.iter().map(|(y, _)| *y)))
            .all(db)
            .await?
            .into_iter()
            .map(|r| ((r.section_id, r.year, r.month), r))
            .collect()
    };

    // Marks already stored under these ids.
    let known: HashMap<Uuid, attendance_mark::Model> = attendance_mark::Entity::find()
        .filter(attendance_mark::Column::MarkId.is_in(marks.iter().map(|m| m.mark_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.mark_id, m))
        .collect();

    let mut results: Vec<MarkResult> = Vec::with_capacity(marks.len());
    // Marks that pass every rule and are not held: (index, enrollment, date, status, recorded).
    let mut candidates: Vec<(usize, i64, NaiveDate, i16, i64)> = Vec::new();
    let mut to_store: Vec<attendance_mark::ActiveModel> = Vec::new();
    let mut seen: HashMap<Uuid, (i64, NaiveDate, i16, i64)> = HashMap::new();
    let (device_id, batch_id) = match source {
        Source::Tablet {
            device_id,
            batch_id,
        } => (Some(device_id), Some(batch_id)),
        Source::Web => (None, None),
    };

    for (index, mark) in marks.iter().enumerate() {
        let rejected = |code: RejectionCode| MarkResult {
            mark_id: mark.mark_id,
            outcome: Outcome::Rejected,
            code: Some(code),
            message: Some(code.message().to_owned()),
        };
        let Some(status) = AttendanceStatus::parse(&mark.status) else {
            results.push(rejected(RejectionCode::InvalidStatus));
            continue;
        };
        if mark.recorded_at.with_timezone(&Utc) > now + CLOCK_SKEW {
            results.push(rejected(RejectionCode::RecordedAtInFuture));
            continue;
        }
        let Some(context) = mark
            .section_id
            .parse::<i64>()
            .ok()
            .and_then(|id| contexts.get(&id))
            .filter(|c| c.allowed)
        else {
            results.push(rejected(RejectionCode::SectionNotAssigned));
            continue;
        };
        if mark.date > today {
            results.push(rejected(RejectionCode::DateInFuture));
            continue;
        }
        match context.calendar.kind(mark.date) {
            super::calendar::DayKind::OutsideYear => {
                results.push(rejected(RejectionCode::OutsideAcademicYear));
                continue;
            }
            super::calendar::DayKind::Weekend | super::calendar::DayKind::NonAcademic => {
                results.push(rejected(RejectionCode::NonAcademicDay));
                continue;
            }
            super::calendar::DayKind::Academic => {}
        }
        let enrollment = mark
            .student_id
            .parse::<i64>()
            .ok()
            .and_then(|student| enrollments.get(&(context.section_id, student)))
            .filter(|e| super::covers(e, mark.date));
        let Some(enrollment) = enrollment else {
            results.push(rejected(RejectionCode::StudentNotEnrolled));
            continue;
        };
        let code = codes::to_db(status);
        let recorded = micros(mark.recorded_at);
        let content = (enrollment.id, mark.date, code, recorded);
        let earlier = known
            .get(&mark.mark_id)
            .map(|k| (k.enrollment_id, k.date, k.status, k.recorded_at_us))
            .or_else(|| seen.get(&mark.mark_id).copied());
        if let Some(earlier) = earlier {
            results.push(if earlier == content {
                MarkResult {
                    mark_id: mark.mark_id,
                    outcome: Outcome::Duplicate,
                    code: None,
                    message: None,
                }
            } else {
                rejected(RejectionCode::MarkIdReused)
            });
            continue;
        }
        seen.insert(mark.mark_id, content);

        let register = registers.get(&(
            context.section_id,
            mark.date.year(),
            mark.date.month() as i16,
        ));
        let held = register.is_some_and(|r| is_locked(r, now));
        to_store.push(attendance_mark::ActiveModel {
            mark_id: Set(mark.mark_id),
            enrollment_id: Set(enrollment.id),
            section_id: Set(context.section_id),
            date: Set(mark.date),
            status: Set(code),
            recorded_at_us: Set(recorded),
            note: Set(mark.note.clone()),
            user_id: Set(principal.user_id),
            device_id: Set(device_id),
            batch_id: Set(batch_id),
            received_at: Set(now),
            outcome: Set(if held { "held" } else { "pending" }.to_owned()),
            review: Set(held.then(|| "pending".to_owned())),
            ..Default::default()
        });
        if held {
            results.push(MarkResult {
                mark_id: mark.mark_id,
                outcome: Outcome::Held,
                code: None,
                message: Some("El registro del mes está cerrado: la marca queda para revisión de la dirección.".into()),
            });
        } else {
            candidates.push((index, enrollment.id, mark.date, code, recorded));
            // Placeholder until the winner of each day is known.
            results.push(MarkResult {
                mark_id: mark.mark_id,
                outcome: Outcome::Accepted,
                code: None,
                message: None,
            });
        }
    }

    // Latest-wins per student and day, among the stored value and this batch.
    let current: HashMap<(i64, NaiveDate), (i64, Uuid)> = if candidates.is_empty() {
        HashMap::new()
    } else {
        let cells: HashSet<i64> = candidates.iter().map(|c| c.1).collect();
        let dates: HashSet<NaiveDate> = candidates.iter().map(|c| c.2).collect();
        attendance_day::Entity::find()
            .filter(attendance_day::Column::EnrollmentId.is_in(cells))
            .filter(attendance_day::Column::Date.is_in(dates))
            .all(db)
            .await?
            .into_iter()
            .map(|d| ((d.enrollment_id, d.date), (d.recorded_at_us, d.mark_id)))
            .collect()
    };
    let mut winners: HashMap<(i64, NaiveDate), (i64, Uuid, usize, i16)> = HashMap::new();
    for (index, enrollment_id, date, code, recorded) in &candidates {
        let key = (*enrollment_id, *date);
        let mark_id = marks[*index].mark_id;
        let beats = |other: (i64, Uuid)| (*recorded, mark_id) > other;
        if current.get(&key).is_some_and(|c| !beats(*c)) {
            continue;
        }
        match winners.get(&key) {
            Some(w) if !beats((w.0, w.1)) => {}
            _ => {
                winners.insert(key, (*recorded, mark_id, *index, *code));
            }
        }
    }
    let winning: HashSet<usize> = winners.values().map(|w| w.2).collect();
    for (index, ..) in &candidates {
        if !winning.contains(index) {
            results[*index].outcome = Outcome::Superseded;
            results[*index].message =
                Some("Una marca registrada después para el mismo día prevalece.".into());
        }
    }
    for row in &mut to_store {
        if row.outcome.as_ref() == "pending" {
            let mark_id = *row.mark_id.as_ref();
            let won = winners.values().any(|w| w.1 == mark_id);
            row.outcome = Set(if won { "accepted" } else { "superseded" }.to_owned());
        }
    }

    if !to_store.is_empty() {
        for chunk in to_store.chunks(500) {
            attendance_mark::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(db)
                .await?;
        }
    }
    if !winners.is_empty() {
        let section_of: HashMap<i64, i64> =
            enrollments.values().map(|e| (e.id, e.section_id)).collect();
        let rows: Vec<attendance_day::ActiveModel> = winners
            .iter()
            .map(|((enrollment_id, date), (recorded, mark_id, _, code))| {
                attendance_day::ActiveModel {
                    enrollment_id: Set(*enrollment_id),
                    date: Set(*date),
                    section_id: Set(section_of.get(enrollment_id).copied().unwrap_or_default()),
                    status: Set(*code),
                    recorded_at_us: Set(*recorded),
                    mark_id: Set(*mark_id),
                }
            })
            .collect();
        for chunk in rows.chunks(500) {
            upsert_days(db, chunk.to_vec()).await?;
        }
    }
    Ok(results)
}

/// Writes current values, replacing a stored one only when the new mark is later (by recorded
/// time, then mark id). The condition is checked by the database, so concurrent batches converge.
pub async fn upsert_days(
    db: &impl ConnectionTrait,
    rows: Vec<attendance_day::ActiveModel>,
) -> Result<()> {
    let cells: Vec<(i64, NaiveDate)> = rows
        .iter()
        .map(|r| (*r.section_id.as_ref(), *r.date.as_ref()))
        .collect();
    super::progress::invalidate(db, super::progress::Change::Cells(&cells)).await?;
    attendance_day::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([attendance_day::Column::EnrollmentId, attendance_day::Column::Date])
                .update_columns([
                    attendance_day::Column::Status,
                    attendance_day::Column::RecordedAtUs,
                    attendance_day::Column::MarkId,
                    attendance_day::Column::SectionId,
                ])
                .action_and_where(Expr::cust(
                    "attendance_day.recorded_at_us < excluded.recorded_at_us \
                     OR (attendance_day.recorded_at_us = excluded.recorded_at_us AND attendance_day.mark_id < excluded.mark_id)",
                ))
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
