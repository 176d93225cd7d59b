//! The store's statements on PostgreSQL: each write is one statement of fixed text whatever the
//! number of rows (the rows travel as arrays and `unnest` turns them back into rows), so it is
//! planned once per connection.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement, Value};
use uuid::Uuid;

use entity::{attendance_entry, section_day};

use super::rows::{DayWrite, Entry, unless_received};
use crate::error::Result;

/// One column of `rows`, as a PostgreSQL array.
fn column<R, T>(rows: &[R], f: impl Fn(&R) -> T) -> Value
where
    Vec<T>: Into<Value>,
{
    rows.iter().map(f).collect::<Vec<T>>().into()
}

/// Entries and their receipts in one statement: each receipt finds its entry by batch.
const RECORD_BATCHES: &str = "WITH entry AS ( \
       INSERT INTO attendance_entry (batch_id, user_id, device_id, received_at, marks) \
       SELECT * FROM unnest($1::uuid[], $2::int8[], $3::uuid[], $4::timestamptz[], $5::bytea[]) \
       RETURNING id, batch_id) \
     INSERT INTO mark_receipt (mark_id, entry_id) \
     SELECT r.mark_id, entry.id FROM unnest($6::uuid[], $7::uuid[]) AS r(mark_id, batch_id) \
     JOIN entry ON entry.batch_id = r.batch_id \
     ORDER BY r.mark_id";

/// Appends tablet batches (each known by its id) to the history with a receipt per mark, in
/// one statement; `false` when a mark id is already recorded.
pub(super) async fn record(
    db: &impl ConnectionTrait,
    entries: &[Entry],
    received_at: DateTime<Utc>,
) -> Result<bool> {
    let receipts: Vec<(Uuid, Uuid)> = entries
        .iter()
        .flat_map(|e| {
            let batch = e.batch_id.unwrap_or_default();
            e.marks.iter().map(move |m| (m.mark_id, batch))
        })
        .collect();
    let packed: Vec<Vec<u8>> = entries
        .iter()
        .map(|e| attendance_entry::encode(&e.marks))
        .collect();
    let values = vec![
        column(entries, |e| e.batch_id.unwrap_or_default()),
        column(entries, |e| e.user_id),
        column(entries, |e| e.device_id.unwrap_or_default()),
        column(entries, |_| received_at),
        packed.into(),
        column(&receipts, |r| r.0),
        column(&receipts, |r| r.1),
    ];
    let statement = Statement::from_sql_and_values(DbBackend::Postgres, RECORD_BATCHES, values);
    unless_received(db.execute_raw(statement).await.map(drop))
}

const READ_DAYS: &str = "SELECT section_id, date, version, filled, cells FROM section_day \
     WHERE (section_id, date) IN (SELECT * FROM unnest($1::int8[], $2::date[]))";

/// The stored days among `keys`.
pub(super) async fn read_days(
    db: &impl ConnectionTrait,
    keys: &[(i64, NaiveDate)],
) -> Result<Vec<section_day::Model>> {
    let read = Statement::from_sql_and_values(
        DbBackend::Postgres,
        READ_DAYS,
        vec![column(keys, |k| k.0), column(keys, |k| k.1)],
    );
    Ok(section_day::Entity::find()
        .from_raw_sql(read)
        .all(db)
        .await?)
}

const UPSERT_DAYS: &str = "INSERT INTO section_day (section_id, date, version, filled, cells) \
     SELECT * FROM unnest($1::int8[], $2::date[], $3::int4[], $4::int4[], $5::bytea[]) \
     ON CONFLICT (section_id, date) DO UPDATE SET version = excluded.version, \
         filled = excluded.filled, cells = excluded.cells \
     WHERE section_day.version = excluded.version - 1 \
     RETURNING section_id, date";

/// The upsert of days whose version is still the one read, answering those written.
pub(super) fn upsert_days(writes: &[DayWrite], packed: Vec<Vec<u8>>) -> Statement {
    Statement::from_sql_and_values(
        DbBackend::Postgres,
        UPSERT_DAYS,
        vec![
            column(writes, |w| w.section_id),
            column(writes, |w| w.date),
            column(writes, |w| w.version),
            column(writes, |w| w.cells.len() as i32),
            packed.into(),
        ],
    )
}
