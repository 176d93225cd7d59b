//! Writing marks: the append-only history and the current value of each student and day.
//!
//! On PostgreSQL each write is one statement of fixed text whatever the number of rows (the rows
//! travel as arrays and `unnest` turns them back into rows), so it is planned once per connection
//! and its arguments are bound as 16 arrays rather than thousands of values. SQLite, in process,
//! gets multi-row inserts.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, QueryTrait, SqlErr, Statement, Value,
    sea_query::{Expr, OnConflict, Query},
};

use entity::{attendance_day, attendance_mark};

use crate::error::Result;

/// Rows per statement on SQLite (13 values each, far from its limit of 32,766).
const SQLITE_CHUNK: usize = 500;

const INSERT_HISTORY: &str = "INSERT INTO attendance_mark (mark_id, enrollment_id, section_id, \
     date, status, recorded_at_us, note, user_id, device_id, batch_id, received_at, outcome, review) \
     SELECT m.mark_id, m.enrollment_id, m.section_id, m.date, m.status, m.recorded_at_us, \
            CASE WHEN m.has_note THEN m.note END, m.user_id, \
            CASE WHEN m.from_tablet THEN m.device_id END, CASE WHEN m.from_tablet THEN m.batch_id END, \
            m.received_at, m.outcome, CASE WHEN m.has_review THEN m.review END \
     FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::date[], $5::int2[], $6::int8[], $7::bool[], \
                 $8::text[], $9::int8[], $10::bool[], $11::uuid[], $12::uuid[], $13::timestamptz[], \
                 $14::text[], $15::bool[], $16::text[]) \
          AS m(mark_id, enrollment_id, section_id, date, status, recorded_at_us, has_note, note, \
               user_id, from_tablet, device_id, batch_id, received_at, outcome, has_review, review)";

/// The later mark wins: by recorded time, then by mark id.
const LATER: &str = "attendance_day.recorded_at_us < excluded.recorded_at_us \
     OR (attendance_day.recorded_at_us = excluded.recorded_at_us AND attendance_day.mark_id < excluded.mark_id)";

/// Appends marks to the history. Answers `false`, having failed part way, when the history
/// already holds one of these mark ids: the caller rolls the write back, reads those marks and
/// decides again.
///
/// A plain insert: checking each mark id before inserting (`ON CONFLICT DO NOTHING`) costs
/// PostgreSQL about twice the work per row, for the rare mark sent again in another batch.
pub async fn insert_history(
    db: &impl ConnectionTrait,
    rows: &[attendance_mark::ActiveModel],
) -> Result<bool> {
    if rows.is_empty() {
        return Ok(true);
    }
    let statements = match db.get_database_backend() {
        DbBackend::Postgres => vec![history_arrays(rows)],
        backend => rows
            .chunks(SQLITE_CHUNK)
            .map(|chunk| {
                backend.build(&attendance_mark::Entity::insert_many(chunk.to_vec()).into_query())
            })
            .collect(),
    };
    for statement in statements {
        match db.execute_raw(statement).await {
            Ok(_) => {}
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(true)
}

/// One column of `rows`, as a PostgreSQL array.
fn column<R, T>(rows: &[R], f: impl Fn(&R) -> T) -> Value
where
    Vec<T>: Into<Value>,
{
    rows.iter().map(f).collect::<Vec<T>>().into()
}

fn history_arrays(rows: &[attendance_mark::ActiveModel]) -> Statement {
    let values = vec![
        column(rows, |r| *r.mark_id.as_ref()),
        column(rows, |r| *r.enrollment_id.as_ref()),
        column(rows, |r| *r.section_id.as_ref()),
        column(rows, |r| *r.date.as_ref()),
        column(rows, |r| *r.status.as_ref()),
        column(rows, |r| *r.recorded_at_us.as_ref()),
        column(rows, |r| r.note.as_ref().is_some()),
        column(rows, |r| r.note.as_ref().clone().unwrap_or_default()),
        column(rows, |r| *r.user_id.as_ref()),
        column(rows, |r| r.device_id.as_ref().is_some()),
        column(rows, |r| r.device_id.as_ref().unwrap_or_default()),
        column(rows, |r| r.batch_id.as_ref().unwrap_or_default()),
        column(rows, |r| -> DateTime<Utc> { *r.received_at.as_ref() }),
        column(rows, |r| r.outcome.as_ref().clone()),
        column(rows, |r| r.review.as_ref().is_some()),
        column(rows, |r| r.review.as_ref().clone().unwrap_or_default()),
    ];
    Statement::from_sql_and_values(DbBackend::Postgres, INSERT_HISTORY, values)
}

const UPSERT_DAYS: &str = "INSERT INTO attendance_day (enrollment_id, date, section_id, status, \
     recorded_at_us, mark_id) \
     SELECT * FROM unnest($1::int8[], $2::date[], $3::int8[], $4::int2[], $5::int8[], $6::uuid[]) \
     ON CONFLICT (section_id, date, enrollment_id) DO UPDATE SET status = excluded.status, \
         recorded_at_us = excluded.recorded_at_us, mark_id = excluded.mark_id \
     WHERE ";

/// Writes current values, replacing a stored one only when the new mark is later (by recorded
/// time, then mark id). The condition is checked by the database, so concurrent batches converge.
/// Answers the students and days whose value was written. At most one row per student and day.
pub async fn upsert_days(
    db: &impl ConnectionTrait,
    mut rows: Vec<attendance_day::ActiveModel>,
) -> Result<HashSet<(i64, NaiveDate)>> {
    let mut written = HashSet::with_capacity(rows.len());
    if rows.is_empty() {
        return Ok(written);
    }
    // In key order, so that concurrent writers lock the rows in the same order.
    rows.sort_by_key(|r| {
        (
            *r.section_id.as_ref(),
            *r.date.as_ref(),
            *r.enrollment_id.as_ref(),
        )
    });
    let cells: Vec<(i64, NaiveDate)> = rows
        .iter()
        .map(|r| (*r.section_id.as_ref(), *r.date.as_ref()))
        .collect();
    super::progress::invalidate(db, super::progress::Change::Cells(&cells)).await?;
    let statements = match db.get_database_backend() {
        DbBackend::Postgres => {
            let values = vec![
                column(&rows, |r| *r.enrollment_id.as_ref()),
                column(&rows, |r| *r.date.as_ref()),
                column(&rows, |r| *r.section_id.as_ref()),
                column(&rows, |r| *r.status.as_ref()),
                column(&rows, |r| *r.recorded_at_us.as_ref()),
                column(&rows, |r| *r.mark_id.as_ref()),
            ];
            let sql = format!("{UPSERT_DAYS}{LATER} RETURNING enrollment_id, date");
            vec![Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                values,
            )]
        }
        backend => rows
            .chunks(SQLITE_CHUNK)
            .map(|chunk| {
                let mut upsert = attendance_day::Entity::insert_many(chunk.to_vec())
                    .on_conflict(
                        OnConflict::columns([
                            attendance_day::Column::SectionId,
                            attendance_day::Column::Date,
                            attendance_day::Column::EnrollmentId,
                        ])
                        .update_columns([
                            attendance_day::Column::Status,
                            attendance_day::Column::RecordedAtUs,
                            attendance_day::Column::MarkId,
                        ])
                        .action_and_where(Expr::cust(LATER))
                        .to_owned(),
                    )
                    .into_query();
                upsert.returning(Query::returning().columns([
                    attendance_day::Column::EnrollmentId,
                    attendance_day::Column::Date,
                ]));
                backend.build(&upsert)
            })
            .collect(),
    };
    for statement in statements {
        for row in db.query_all_raw(statement).await? {
            written.insert((row.try_get_by_index(0)?, row.try_get_by_index(1)?));
        }
    }
    Ok(written)
}
