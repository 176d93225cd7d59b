//! Register coverage kept per section and month (`register_progress`): a change that can alter a
//! register's coverage marks it stale in the change's own transaction; the `register_coverage`
//! job recomputes the stale ones.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ConnectionTrait, EntityTrait, Statement, Value,
    sea_query::{Expr, OnConflict},
};

use entity::register_progress;

use crate::error::Result;

/// What changed, for [`invalidate`].
pub enum Stale<'a> {
    /// Cells of these sections on these days.
    Cells(&'a [(i64, NaiveDate)]),
    /// The enrollments of a section.
    Enrollments(i64),
    /// A day of the calendar, for the whole country, a UGEL or an IE.
    Calendar {
        date: NaiveDate,
        ugel_id: Option<i64>,
        school_id: Option<i64>,
    },
}

/// Marks the registers a change affects as stale. Run it in the transaction of the change.
pub(super) async fn invalidate(db: &impl ConnectionTrait, change: Stale<'_>) -> Result<()> {
    let backend = db.get_database_backend();
    let bump = "UPDATE register_progress SET version = version + 1, stale = TRUE";
    match change {
        Stale::Cells(cells) => {
            // Sorted, so that concurrent batches lock the rows in the same order.
            let registers: BTreeSet<(i64, i32, i16)> = cells
                .iter()
                .map(|(section, date)| (*section, date.year(), date.month() as i16))
                .collect();
            if registers.is_empty() {
                return Ok(());
            }
            let epoch = DateTime::<Utc>::UNIX_EPOCH;
            let rows = registers.into_iter().map(|(section_id, year, month)| {
                register_progress::ActiveModel {
                    section_id: sea_orm::Set(section_id),
                    year: sea_orm::Set(year),
                    month: sea_orm::Set(month),
                    expected: sea_orm::Set(0),
                    filled: sea_orm::Set(0),
                    due_days: sea_orm::Set(0),
                    complete_days: sea_orm::Set(0),
                    version: sea_orm::Set(1),
                    stale: sea_orm::Set(true),
                    computed_at: sea_orm::Set(epoch),
                    // Named when the row is computed.
                    ..Default::default()
                }
            });
            register_progress::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([
                        register_progress::Column::SectionId,
                        register_progress::Column::Year,
                        register_progress::Column::Month,
                    ])
                    .value(
                        register_progress::Column::Version,
                        Expr::cust("register_progress.version + 1"),
                    )
                    .value(register_progress::Column::Stale, true)
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
        Stale::Enrollments(section_id) => {
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                format!("{bump} WHERE section_id = $1"),
                [section_id.into()],
            ))
            .await?;
        }
        Stale::Calendar {
            date,
            ugel_id,
            school_id,
        } => {
            let (year, month) = (date.year(), date.month() as i16);
            let (filter, values): (&str, Vec<Value>) = match (school_id, ugel_id) {
                (Some(school), _) => (
                    " AND section_id IN (SELECT id FROM section WHERE school_id = $3)",
                    vec![school.into()],
                ),
                (None, Some(ugel)) => (
                    " AND section_id IN (SELECT s.id FROM section s JOIN school i ON i.id = s.school_id WHERE i.ugel_id = $3)",
                    vec![ugel.into()],
                ),
                (None, None) => ("", vec![]),
            };
            let mut all: Vec<Value> = vec![year.into(), month.into()];
            all.extend(values);
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                format!("{bump} WHERE year = $1 AND month = $2{filter}"),
                all,
            ))
            .await?;
        }
    }
    Ok(())
}
