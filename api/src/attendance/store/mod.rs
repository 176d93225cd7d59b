//! Writing marks: the history (an entry per batch, a receipt per mark id, held marks apart) and
//! the values that stand, one packed row per section and day.
//!
//! What differs between the databases is apart, behind this module: `postgres.rs` (one statement
//! of fixed text per write, the rows as arrays turned back into rows by `unnest`) and `sqlite.rs`
//! (multi-row statements); this module decides, the same way on both, what to write.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryFilter};
use uuid::Uuid;

use entity::{
    attendance_entry, held_mark, mark_receipt,
    section_day::{self, Cell},
};

use crate::error::Result;

mod postgres;
mod rows;
mod sqlite;

pub use rows::Entry;
use rows::{DayWrite, SQLITE_CHUNK, unless_received};

/// How many times a section's day is read again when another writer changed it meanwhile.
const MERGE_ATTEMPTS: usize = 8;

/// The notes of some marks (the reason of a falta justificada, as the teacher wrote it), read from
/// the entries that hold them; marks without a note are absent.
pub async fn notes_of(
    db: &impl ConnectionTrait,
    mark_ids: &[Uuid],
) -> Result<HashMap<Uuid, String>> {
    let mut notes = HashMap::new();
    if mark_ids.is_empty() {
        return Ok(notes);
    }
    let wanted: HashSet<Uuid> = mark_ids.iter().copied().collect();
    let mut entry_ids: Vec<i64> = Vec::new();
    for chunk in mark_ids.chunks(SQLITE_CHUNK) {
        entry_ids.extend(
            mark_receipt::Entity::find()
                .filter(sea_orm::ColumnTrait::is_in(
                    &mark_receipt::Column::MarkId,
                    chunk.to_vec(),
                ))
                .all(db)
                .await?
                .into_iter()
                .map(|r| r.entry_id),
        );
    }
    entry_ids.sort_unstable();
    entry_ids.dedup();
    for chunk in entry_ids.chunks(SQLITE_CHUNK) {
        for entry in attendance_entry::Entity::find()
            .filter(sea_orm::ColumnTrait::is_in(
                &attendance_entry::Column::Id,
                chunk.to_vec(),
            ))
            .all(db)
            .await?
        {
            let marks = attendance_entry::decode(&entry.marks).ok_or_else(|| {
                crate::error::ApiError::Internal(anyhow::anyhow!(
                    "attendance entry {} cannot be read",
                    entry.id
                ))
            })?;
            for mark in marks {
                if let Some(note) = mark.note
                    && wanted.contains(&mark.mark_id)
                {
                    notes.insert(mark.mark_id, note);
                }
            }
        }
    }
    Ok(notes)
}

/// Appends entries to the history and records a receipt for each of their marks. Answers
/// `false`, having failed part way, when a mark id is already recorded: the caller rolls the
/// write back, reads those marks and decides again.
///
/// The receipts are a plain insert, in mark id order (the index is walked left to right):
/// checking each id first (`ON CONFLICT DO NOTHING`) would cost every mark more work, for the
/// rare mark sent again in another batch.
pub async fn record(
    db: &impl ConnectionTrait,
    entries: &[Entry],
    received_at: DateTime<Utc>,
) -> Result<bool> {
    let tablet_batches: HashSet<Uuid> = entries.iter().filter_map(|e| e.batch_id).collect();
    match db.get_database_backend() {
        // Tablet batches, each known by its id: one statement.
        DbBackend::Postgres if tablet_batches.len() == entries.len() => {
            postgres::record(db, entries, received_at).await
        }
        _ => record_each(db, entries, received_at).await,
    }
}

/// One entry at a time, its receipts in multi-row inserts: on SQLite, and for web edits (which
/// have no batch id) on PostgreSQL.
async fn record_each(
    db: &impl ConnectionTrait,
    entries: &[Entry],
    received_at: DateTime<Utc>,
) -> Result<bool> {
    for entry in entries {
        let row = attendance_entry::ActiveModel {
            batch_id: sea_orm::Set(entry.batch_id),
            user_id: sea_orm::Set(entry.user_id),
            device_id: sea_orm::Set(entry.device_id),
            received_at: sea_orm::Set(received_at),
            marks: sea_orm::Set(attendance_entry::encode(&entry.marks)),
            ..Default::default()
        };
        let entry_id = attendance_entry::Entity::insert(row)
            .exec(db)
            .await?
            .last_insert_id;
        let mut receipts: Vec<Uuid> = entry.marks.iter().map(|m| m.mark_id).collect();
        receipts.sort_unstable();
        for chunk in receipts.chunks(SQLITE_CHUNK) {
            let rows = chunk.iter().map(|mark_id| mark_receipt::ActiveModel {
                mark_id: sea_orm::Set(*mark_id),
                entry_id: sea_orm::Set(entry_id),
            });
            let insert = mark_receipt::Entity::insert_many(rows).exec_without_returning(db);
            if !unless_received(insert.await.map(drop))? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Keeps marks held for a closed month, for the director's review.
pub async fn insert_held(
    db: &impl ConnectionTrait,
    rows: Vec<held_mark::ActiveModel>,
) -> Result<()> {
    for chunk in rows.chunks(SQLITE_CHUNK) {
        held_mark::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// A section's day as read: its version and cells.
type Stored = HashMap<(i64, NaiveDate), (i32, Vec<Cell>)>;

/// The stored days among `keys`.
async fn read_days(
    db: &impl ConnectionTrait,
    keys: &BTreeMap<(i64, NaiveDate), Vec<Cell>>,
) -> Result<Stored> {
    let keys: Vec<(i64, NaiveDate)> = keys.keys().copied().collect();
    let rows = match db.get_database_backend() {
        DbBackend::Postgres => postgres::read_days(db, &keys).await?,
        _ => sqlite::read_days(db, &keys).await?,
    };
    rows.into_iter()
        .map(|row| Ok(((row.section_id, row.date), (row.version, cells(&row)?))))
        .collect()
}

/// Writes days whose version is still the one read; answers those written.
async fn write_days(
    db: &impl ConnectionTrait,
    writes: &[DayWrite],
) -> Result<HashSet<(i64, NaiveDate)>> {
    let packed: Vec<Vec<u8>> = writes
        .iter()
        .map(|w| section_day::encode(&w.cells))
        .collect();
    let statements = match db.get_database_backend() {
        DbBackend::Postgres => vec![postgres::upsert_days(writes, packed)],
        backend => sqlite::upsert_days(backend, writes, packed),
    };
    let mut written = HashSet::with_capacity(writes.len());
    for statement in statements {
        for row in db.query_all_raw(statement).await? {
            written.insert((row.try_get_by_index(0)?, row.try_get_by_index(1)?));
        }
    }
    Ok(written)
}

/// What [`merge_days`] did.
#[derive(Default)]
pub struct Merged {
    /// The mark ids that now stand.
    pub standing: HashSet<Uuid>,
    /// The (section, day) whose cells changed.
    pub changed_days: Vec<(i64, NaiveDate)>,
}

/// Brings new cells into their sections' days: a cell replaces the stored one of its student
/// only when it is later (by recorded time, then mark id). Each day is written only if the
/// version read is still the stored one; a day another writer changed meanwhile is read and
/// merged again, so concurrent batches converge. At most one cell per student and day.
///
/// Answers the mark ids that now stand and the days whose cells changed.
pub async fn merge_days(
    db: &impl ConnectionTrait,
    mut pending: BTreeMap<(i64, NaiveDate), Vec<Cell>>,
) -> Result<Merged> {
    let mut standing = HashSet::new();
    if pending.is_empty() {
        return Ok(Merged::default());
    }
    let mut changed_days = Vec::new();
    for _ in 0..MERGE_ATTEMPTS {
        let mut stored = read_days(db, &pending).await?;
        let mut writes = Vec::new();
        let mut winners: HashMap<(i64, NaiveDate), Vec<Uuid>> = HashMap::new();
        // In key order, so that concurrent writers lock the rows in the same order.
        for (&(section_id, date), incoming) in &pending {
            let (version, mut cells) = stored.remove(&(section_id, date)).unwrap_or_default();
            let mut won = Vec::new();
            for cell in incoming {
                match cells
                    .iter_mut()
                    .find(|c| c.enrollment_id == cell.enrollment_id)
                {
                    Some(current) if current.rank() >= cell.rank() => {}
                    Some(current) => {
                        *current = *cell;
                        won.push(cell.mark_id);
                    }
                    None => {
                        cells.push(*cell);
                        won.push(cell.mark_id);
                    }
                }
            }
            if !won.is_empty() {
                winners.insert((section_id, date), won);
                writes.push(DayWrite {
                    section_id,
                    date,
                    version: version + 1,
                    cells,
                });
            }
        }
        let written = if writes.is_empty() {
            HashSet::new()
        } else {
            write_days(db, &writes).await?
        };
        pending.retain(|key, _| {
            let Some(won) = winners.remove(key) else {
                // Nothing of it is later than what stands: nothing to write.
                return false;
            };
            if written.contains(key) {
                standing.extend(won);
                changed_days.push(*key);
                return false;
            }
            true
        });
        if pending.is_empty() {
            return Ok(Merged {
                standing,
                changed_days,
            });
        }
    }
    Err(anyhow::anyhow!("a section's day kept being changed by another writer").into())
}

/// The cells of a stored section's day.
pub fn cells(row: &section_day::Model) -> Result<Vec<Cell>> {
    section_day::decode(&row.cells).ok_or_else(|| {
        anyhow::anyhow!(
            "the cells of section {} on {} cannot be read",
            row.section_id,
            row.date
        )
        .into()
    })
}
