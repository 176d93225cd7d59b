//! Applying attendance marks, from tablets or from the web register: every rule of the tablet
//! contract, in one place. The caller runs it inside a transaction, so a batch is applied whole or
//! not at all.
//!
//! Convergence: for one student and day the mark with the latest `recorded_at` stands, ties broken
//! by the larger `mark_id`. The stored value is only ever replaced by a later one (checked against
//! the section's day as stored, under its version), so batches converge to the same registers in
//! any order.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc};
use mobile_contract::{AttendanceStatus, MarkResult, Outcome, RejectionCode};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};
use uuid::Uuid;

use entity::{
    attendance_entry, attendance_register, enrollment, held_mark, mark_receipt, section_day::Cell,
};

use super::{calendar::SchoolCalendar, codes, places::Places};
use crate::record::{Change, record};
use crate::{
    auth::{Action, Principal},
    db::one_of,
    error::Result,
    time::LIMA,
};

/// A mark as received, parsed once at the edge, before any rule. A value the contract's text
/// cannot give is `None` here, and [`decide`] rejects the mark for it in the contract's order of
/// rules: a status that is not a code (`invalid_status`), a section or student id that is not a
/// number (no section or student has it: `section_not_assigned`, `student_not_enrolled`).
#[derive(Debug, Clone)]
pub struct Incoming {
    pub mark_id: Uuid,
    pub section_id: Option<i64>,
    pub student_id: Option<i64>,
    pub date: NaiveDate,
    pub status: Option<AttendanceStatus>,
    pub recorded_at: DateTime<FixedOffset>,
    pub note: Option<String>,
}

impl From<&mobile_contract::Mark> for Incoming {
    fn from(mark: &mobile_contract::Mark) -> Self {
        Self {
            mark_id: mark.mark_id,
            section_id: mark.section_id.parse().ok(),
            student_id: mark.student_id.parse().ok(),
            date: mark.date,
            status: AttendanceStatus::parse(&mark.status),
            recorded_at: mark.recorded_at,
            note: mark.note.clone(),
        }
    }
}

/// Where marks come from.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Tablet { device_id: Uuid, batch_id: Uuid },
    Web,
}

impl Source {
    /// The tablet and batch, for a tablet's marks.
    fn ids(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            Source::Tablet {
                device_id,
                batch_id,
            } => (Some(device_id), Some(batch_id)),
            Source::Web => (None, None),
        }
    }
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
    target: crate::auth::Target,
    calendar: SchoolCalendar,
}

/// A mark that passed every rule and is not held, by its place (batch, index) in the input.
struct Candidate {
    at: (usize, usize),
    /// Its place among its batch's stored marks.
    entry_index: usize,
    mark_id: Uuid,
    section_id: i64,
    enrollment_id: i64,
    date: NaiveDate,
    code: i16,
    recorded: i64,
}

/// One caller's marks: a tablet's batch or a web edit.
pub struct Batch<'a> {
    pub principal: &'a Principal,
    pub source: Source,
    pub marks: &'a [Incoming],
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

/// The result of one mark, with the Spanish message that goes with its outcome or code: the one
/// place results are made, so that a stored answer rebuilt from outcomes and codes reads the same.
pub fn mark_result(mark_id: Uuid, outcome: Outcome, code: Option<RejectionCode>) -> MarkResult {
    let message = match (outcome, code) {
        (Outcome::Rejected, Some(code)) => Some(code.message()),
        (Outcome::Held, _) => {
            Some("El registro del mes está cerrado: la marca queda para revisión de la dirección.")
        }
        (Outcome::Superseded, _) => {
            Some("Una marca registrada después para el mismo día prevalece.")
        }
        _ => None,
    };
    MarkResult {
        mark_id,
        outcome,
        code,
        message: message.map(str::to_owned),
    }
}

/// Applies marks and answers one result per mark, in order.
pub async fn apply(
    db: &(impl ConnectionTrait + TransactionTrait),
    places: &Places,
    principal: &Principal,
    source: Source,
    marks: &[Incoming],
    now: DateTime<Utc>,
) -> Result<Vec<MarkResult>> {
    let batch = Batch {
        principal,
        source,
        marks,
    };
    let batches = [batch];
    let lookups = look_up(db, places, &batches).await?;
    let mut results = apply_many(db, &lookups, &batches, now).await?;
    Ok(results.pop().unwrap_or_default())
}

/// Reads what the rules need to apply these batches: their sections with IE and calendar, the
/// enrollments of those sections, and the registers of the years touched. On the pool the last
/// three reads run at once, each on a connection of its own.
pub async fn look_up(
    reads: &impl ConnectionTrait,
    places: &Places,
    batches: &[Batch<'_>],
) -> Result<Lookups> {
    let all = || batches.iter().flat_map(|b| b.marks.iter());
    let backend = reads.get_database_backend();

    // Sections, their IE and calendar.
    let section_ids: HashSet<i64> = all().filter_map(|m| m.section_id).collect();
    let places = places.of(reads, &section_ids).await?;
    let wanted: Vec<_> = places
        .values()
        .map(|p| ((p.school.id, p.year.id), (&p.school, &p.year)))
        .collect::<HashMap<_, _>>()
        .into_values()
        .collect();
    let section_list: Vec<i64> = places.keys().copied().collect();
    let student_ids: HashSet<i64> = all().filter_map(|m| m.student_id).collect();
    let years: Vec<i32> = all()
        .map(|m| m.date.year())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let (calendars, enrollments, registers) = tokio::try_join!(
        SchoolCalendar::load_many(reads, &wanted),
        async {
            if section_list.is_empty() || student_ids.is_empty() {
                return Ok(Vec::new());
            }
            // Every enrollment of those sections (a few dozen each): one statement text, where
            // the students named would make a new one for every group of batches.
            Ok(enrollment::Entity::find()
                .filter(one_of(
                    backend,
                    enrollment::Column::SectionId,
                    section_list.clone(),
                ))
                .all(reads)
                .await?)
        },
        async {
            if section_list.is_empty() {
                return Ok(Vec::new());
            }
            Ok(attendance_register::Entity::find()
                .filter(one_of(
                    backend,
                    attendance_register::Column::SectionId,
                    section_list.clone(),
                ))
                .filter(one_of(
                    backend,
                    attendance_register::Column::Year,
                    years.clone(),
                ))
                .all(reads)
                .await?)
        },
    )?;
    let contexts: HashMap<i64, SectionContext> = places
        .values()
        .map(|place| {
            let context = SectionContext {
                section_id: place.section.id,
                target: place.school_target.with_section(place.section.id),
                calendar: calendars[&(place.school.id, place.year.id)].clone(),
            };
            (place.section.id, context)
        })
        .collect();
    // Of the enrollments, those of the students named.
    let enrollments: HashMap<(i64, i64), enrollment::Model> = enrollments
        .into_iter()
        .filter(|e| student_ids.contains(&e.student_id))
        .map(|e| ((e.section_id, e.student_id), e))
        .collect();
    // Registers of the months touched, for closure.
    let registers: HashMap<(i64, i32, i16), attendance_register::Model> = registers
        .into_iter()
        .map(|r| ((r.section_id, r.year, r.month), r))
        .collect();

    Ok(Lookups {
        contexts,
        enrollments,
        registers,
    })
}

/// Applies several batches together, with one statement of each kind for all of them, and
/// answers one result per mark of each batch, in order. A mark id sent twice is a duplicate the
/// second time (in the order given); of the marks for one student and day, in these batches and
/// stored, the latest recorded stands and the others are superseded.
///
/// Runs inside the caller's transaction, in a savepoint of its own, with what [`look_up`] read.
pub async fn apply_many(
    db: &(impl ConnectionTrait + TransactionTrait),
    lookups: &Lookups,
    batches: &[Batch<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<Vec<MarkResult>>> {
    // Written first as if every mark were new: the receipts' unique mark id tells which are
    // not. Then, inside a savepoint, those are read and everything is decided again.
    let mut known: HashMap<Uuid, Known> = HashMap::new();
    for _ in 0..3 {
        let mut decision = decide(lookups, batches, &known, now);
        // A savepoint inside the caller's transaction, which began through `db::begin`.
        #[allow(clippy::disallowed_methods)]
        let attempt = db.begin().await?;
        let repeated = write(&attempt, batches, &mut decision, now).await?;
        if repeated.is_empty() {
            attempt.commit().await?;
            return Ok(decision.results);
        }
        attempt.rollback().await?;
        known.extend(read_known(db, repeated).await?);
    }
    Err(anyhow::anyhow!("mark ids kept being written by another transaction").into())
}

/// What a stored mark says: enrollment, day, code and recorded time.
type Known = (i64, NaiveDate, i16, i64);

/// The stored marks among `mark_ids`, read through their receipts and entries.
async fn read_known(
    db: &impl ConnectionTrait,
    mark_ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, Known>> {
    let backend = db.get_database_backend();
    let receipts = mark_receipt::Entity::find()
        .filter(one_of(backend, mark_receipt::Column::MarkId, mark_ids))
        .all(db)
        .await?;
    let entry_ids: Vec<i64> = receipts
        .iter()
        .map(|r| r.entry_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let wanted: HashSet<Uuid> = receipts.iter().map(|r| r.mark_id).collect();
    let mut known = HashMap::with_capacity(wanted.len());
    for entry in attendance_entry::Entity::find()
        .filter(one_of(backend, attendance_entry::Column::Id, entry_ids))
        .all(db)
        .await?
    {
        let marks = attendance_entry::decode(&entry.marks).ok_or_else(|| {
            anyhow::anyhow!("the marks of history entry {} cannot be read", entry.id)
        })?;
        for m in marks.into_iter().filter(|m| wanted.contains(&m.mark_id)) {
            known.insert(
                m.mark_id,
                (m.enrollment_id, m.date, m.status, m.recorded_at_us),
            );
        }
    }
    Ok(known)
}

/// What the rules read from the database.
pub struct Lookups {
    contexts: HashMap<i64, SectionContext>,
    enrollments: HashMap<(i64, i64), enrollment::Model>,
    registers: HashMap<(i64, i32, i16), attendance_register::Model>,
}

/// The marks' fate before the write: rejections and duplicates final, the others to store.
struct Decision {
    results: Vec<Vec<MarkResult>>,
    /// Per batch, the marks for its history entry: accepted or held for now; which accepted
    /// ones are superseded is known after the write.
    entries: Vec<Vec<attendance_entry::Mark>>,
    held: Vec<held_mark::ActiveModel>,
    candidates: Vec<Candidate>,
}

/// Applies every rule to every mark, given the marks already stored under these ids.
fn decide(
    lookups: &Lookups,
    batches: &[Batch<'_>],
    known: &HashMap<Uuid, Known>,
    now: DateTime<Utc>,
) -> Decision {
    let today = now.with_timezone(&LIMA).date_naive();
    let Lookups {
        contexts,
        enrollments,
        registers,
    } = lookups;
    let mut results: Vec<Vec<MarkResult>> = batches
        .iter()
        .map(|b| Vec::with_capacity(b.marks.len()))
        .collect();
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut entries: Vec<Vec<attendance_entry::Mark>> = vec![Vec::new(); batches.len()];
    let mut held_rows: Vec<held_mark::ActiveModel> = Vec::new();
    let mut seen: HashMap<Uuid, Known> = HashMap::new();
    let mut allowed: HashMap<(usize, i64), bool> = HashMap::new();

    for (b, batch) in batches.iter().enumerate() {
        let (device_id, batch_id) = batch.source.ids();
        let results = &mut results[b];
        for (index, mark) in batch.marks.iter().enumerate() {
            let rejected =
                |code: RejectionCode| mark_result(mark.mark_id, Outcome::Rejected, Some(code));
            let Some(status) = mark.status else {
                results.push(rejected(RejectionCode::InvalidStatus));
                continue;
            };
            if mark
                .note
                .as_deref()
                .is_some_and(crate::http::extract::has_control)
            {
                results.push(rejected(RejectionCode::InvalidNote));
                continue;
            }
            if mark.recorded_at.with_timezone(&Utc) > now + CLOCK_SKEW {
                results.push(rejected(RejectionCode::RecordedAtInFuture));
                continue;
            }
            let Some(context) = mark
                .section_id
                .and_then(|id| contexts.get(&id))
                .filter(|c| {
                    *allowed
                        .entry((b, c.section_id))
                        .or_insert_with(|| batch.principal.can(Action::TakeAttendance, &c.target))
                })
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
                .and_then(|student| enrollments.get(&(context.section_id, student)))
                .filter(|e| super::enrolled::covers(e, mark.date));
            let Some(enrollment) = enrollment else {
                results.push(rejected(RejectionCode::StudentNotEnrolled));
                continue;
            };
            let code = codes::to_db(status);
            let recorded = micros(mark.recorded_at);
            let content = (enrollment.id, mark.date, code, recorded);
            let earlier = known
                .get(&mark.mark_id)
                .or_else(|| seen.get(&mark.mark_id))
                .copied();
            if let Some(earlier) = earlier {
                results.push(if earlier == content {
                    mark_result(mark.mark_id, Outcome::Duplicate, None)
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
            entries[b].push(attendance_entry::Mark {
                mark_id: mark.mark_id,
                enrollment_id: enrollment.id,
                date: mark.date,
                status: code,
                recorded_at_us: recorded,
                note: mark.note.clone(),
                outcome: if held {
                    attendance_entry::Outcome::Held
                } else {
                    attendance_entry::Outcome::Accepted
                },
            });
            if held {
                held_rows.push(held_mark::ActiveModel {
                    mark_id: Set(mark.mark_id),
                    enrollment_id: Set(enrollment.id),
                    section_id: Set(context.section_id),
                    date: Set(mark.date),
                    status: Set(code),
                    recorded_at_us: Set(recorded),
                    note: Set(mark.note.clone()),
                    user_id: Set(batch.principal.user_id),
                    device_id: Set(device_id),
                    batch_id: Set(batch_id),
                    received_at: Set(now),
                    review: Set(entity::vocabulary::HeldReview::Pending),
                    ..Default::default()
                });
                results.push(mark_result(mark.mark_id, Outcome::Held, None));
            } else {
                candidates.push(Candidate {
                    at: (b, index),
                    entry_index: entries[b].len() - 1,
                    mark_id: mark.mark_id,
                    section_id: context.section_id,
                    enrollment_id: enrollment.id,
                    date: mark.date,
                    code,
                    recorded,
                });
                // Placeholder until the winner of each day is known.
                results.push(mark_result(mark.mark_id, Outcome::Accepted, None));
            }
        }
    }

    Decision {
        results,
        entries,
        held: held_rows,
        candidates,
    }
}

/// Writes a decision: the latest candidate of each student and day into its section's day where
/// it is later than the stored one, then the history: an entry per batch with each mark's
/// outcome, a receipt per mark and the held marks. When some of these mark ids are already
/// received, answers the ids that may be among them (all those written), and the caller rolls
/// this write back.
async fn write(
    db: &impl ConnectionTrait,
    batches: &[Batch<'_>],
    decision: &mut Decision,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>> {
    // Latest-wins among these batches; the merge compares with the stored value.
    let mut latest: HashMap<(i64, NaiveDate), (i64, Cell)> = HashMap::new();
    for c in &decision.candidates {
        let cell = Cell {
            enrollment_id: c.enrollment_id,
            status: c.code,
            recorded_at_us: c.recorded,
            mark_id: c.mark_id,
        };
        match latest.get(&(c.enrollment_id, c.date)) {
            Some((_, winner)) if cell.rank() <= winner.rank() => {}
            _ => {
                latest.insert((c.enrollment_id, c.date), (c.section_id, cell));
            }
        }
    }
    let mut days: BTreeMap<(i64, NaiveDate), Vec<Cell>> = BTreeMap::new();
    for ((_, date), (section_id, cell)) in latest {
        days.entry((section_id, date)).or_default().push(cell);
    }
    let merged = super::store::merge_days(db, days).await?;
    record(db, Change::Cells(&merged.changed_days)).await?;
    for c in &decision.candidates {
        if !merged.standing.contains(&c.mark_id) {
            decision.results[c.at.0][c.at.1] = mark_result(c.mark_id, Outcome::Superseded, None);
            decision.entries[c.at.0][c.entry_index].outcome = attendance_entry::Outcome::Superseded;
        }
    }

    let mut entries = Vec::new();
    for (batch, marks) in batches.iter().zip(&mut decision.entries) {
        if marks.is_empty() {
            continue;
        }
        let (device_id, batch_id) = batch.source.ids();
        entries.push(super::store::Entry {
            batch_id,
            user_id: batch.principal.user_id,
            device_id,
            marks: std::mem::take(marks),
        });
    }
    if !super::store::record(db, &entries, now).await? {
        // Some of these ids were received before: the caller reads which.
        return Ok(entries
            .iter()
            .flat_map(|e| e.marks.iter().map(|m| m.mark_id))
            .collect());
    }
    super::store::insert_held(db, std::mem::take(&mut decision.held)).await?;
    Ok(Vec::new())
}

#[cfg(test)]
#[path = "engine_tests/mod.rs"]
mod tests;
