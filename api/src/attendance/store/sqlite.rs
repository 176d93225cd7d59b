//! The store's statements on SQLite: multi-row statements of at most [`SQLITE_CHUNK`] rows
//! (SQLite runs in process, so a statement's text costs no round trip).

use chrono::NaiveDate;
use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Statement, Value,
    sea_query::{Expr, OnConflict, Query},
};

use entity::section_day;

use super::rows::{DayWrite, SQLITE_CHUNK};
use crate::error::Result;

/// The stored days among `keys`.
pub(super) async fn read_days(
    db: &impl ConnectionTrait,
    keys: &[(i64, NaiveDate)],
) -> Result<Vec<section_day::Model>> {
    let mut rows = Vec::new();
    for chunk in keys.chunks(SQLITE_CHUNK) {
        let exact = Expr::cust_with_values(
            format!(
                "(section_day.section_id, section_day.date) IN (VALUES {})",
                vec!["(?, ?)"; chunk.len()].join(", ")
            ),
            chunk
                .iter()
                .flat_map(|(section, date)| [Value::from(*section), Value::from(*date)]),
        );
        rows.extend(section_day::Entity::find().filter(exact).all(db).await?);
    }
    Ok(rows)
}

/// The upserts of days whose version is still the one read, each answering those it wrote.
pub(super) fn upsert_days(
    backend: DbBackend,
    writes: &[DayWrite],
    packed: Vec<Vec<u8>>,
) -> Vec<Statement> {
    writes
        .iter()
        .zip(packed)
        .collect::<Vec<_>>()
        .chunks(SQLITE_CHUNK)
        .map(|chunk| {
            let rows = chunk.iter().map(|(w, cells)| section_day::ActiveModel {
                section_id: sea_orm::Set(w.section_id),
                date: sea_orm::Set(w.date),
                version: sea_orm::Set(w.version),
                filled: sea_orm::Set(w.cells.len() as i32),
                cells: sea_orm::Set(cells.clone()),
            });
            let mut upsert = section_day::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([
                        section_day::Column::SectionId,
                        section_day::Column::Date,
                    ])
                    .update_columns([
                        section_day::Column::Version,
                        section_day::Column::Filled,
                        section_day::Column::Cells,
                    ])
                    .action_and_where(Expr::cust("section_day.version = excluded.version - 1"))
                    .to_owned(),
                )
                .into_query();
            upsert.returning(
                Query::returning()
                    .columns([section_day::Column::SectionId, section_day::Column::Date]),
            );
            backend.build(&upsert)
        })
        .collect()
}
