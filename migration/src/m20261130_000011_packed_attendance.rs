//! Attendance stored by batch and by section's day instead of by mark.
//!
//! A tablet sends one section's day at a time (35 marks or so), and the register is read a
//! section's month at a time; storing two rows per mark (history and current value) cost the
//! database two and a half times a plain `COPY` of the marks. Now:
//! - `attendance_entry`: the history, one row per batch, its marks packed with their outcomes;
//! - `mark_receipt`: one small row per mark id, unique, pointing at its entry (duplicates and
//!   reused ids are found through it);
//! - `held_mark`: marks held for a closed month, one row each, since the director reviews them
//!   one by one;
//! - `section_day`: the value that stands for each student, one row per section and day, its
//!   cells packed.
//!
//! The data of `attendance_mark` and `attendance_day` is carried over, then those tables go. The
//! marks and cells carried over are packed in format 1 by this migration's own copy of the
//! encoders ([`v1`]), never by `entity`'s, which follow the format of the day.

mod v1;

use std::collections::BTreeMap;

use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{
        ConnectionTrait, DbBackend,
        prelude::{Date, DateTimeUtc, Uuid},
    },
};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rows read at a time while carrying data over.
const PAGE: u64 = 5_000;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("attendance_entry")
                    .col(big_pk_auto("id"))
                    .col(uuid_null("batch_id"))
                    .col(big_integer("user_id"))
                    .col(uuid_null("device_id"))
                    .col(timestamp_with_time_zone("received_at"))
                    .col(blob("marks"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("mark_receipt")
                    .col(uuid("mark_id").primary_key())
                    .col(big_integer("entry_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                mark_table("held_mark")
                    .col(string_len("review", 12))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("held_mark", &["section_id", "date"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("section_day")
                    .col(big_integer("section_id"))
                    .col(date("date"))
                    .col(integer("version"))
                    .col(integer("filled"))
                    .col(blob("cells"))
                    .primary_key(Index::create().col("section_id").col("date"))
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO held_mark (mark_id, enrollment_id, section_id, date, status, \
             recorded_at_us, note, user_id, device_id, batch_id, received_at, review) \
             SELECT mark_id, enrollment_id, section_id, date, status, recorded_at_us, note, \
             user_id, device_id, batch_id, received_at, COALESCE(review, 'pending') \
             FROM attendance_mark WHERE outcome = 'held' ORDER BY id",
        )
        .await?;
        carry_history(db).await?;
        carry_days(db).await?;
        for table in ["attendance_mark", "attendance_day"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let entries = db
            .query_one(
                &Query::select()
                    .expr(Expr::val(1))
                    .from("attendance_entry")
                    .limit(1)
                    .to_owned(),
            )
            .await?;
        if entries.is_some() {
            return Err(DbErr::Migration(
                "attendance is stored by batch and by section's day: going back would lose it"
                    .to_owned(),
            ));
        }
        for table in [
            "attendance_entry",
            "mark_receipt",
            "held_mark",
            "section_day",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        // The tables as migration 10 left them, empty.
        manager
            .create_table(
                mark_table("attendance_mark")
                    .col(string_len("outcome", 12))
                    .col(string_len_null("review", 12))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_attendance_mark_pending_review ON attendance_mark (section_id) \
             WHERE review = 'pending'",
        )
        .await?;
        let mut day = Table::create();
        day.table("attendance_day")
            .col(big_integer("enrollment_id"))
            .col(date("date"))
            .col(big_integer("section_id"))
            .col(small_integer("status"))
            .col(big_integer("recorded_at_us"))
            .col(uuid("mark_id"));
        if manager.get_database_backend() == DbBackend::Postgres {
            day.primary_key(
                Index::create()
                    .col("section_id")
                    .col("date")
                    .col("enrollment_id"),
            );
            manager.create_table(day.to_owned()).await?;
        } else {
            day.primary_key(Index::create().col("enrollment_id").col("date"));
            manager.create_table(day.to_owned()).await?;
            manager
                .create_index(index(
                    "attendance_day",
                    &["section_id", "date", "enrollment_id"],
                    true,
                ))
                .await?;
        }
        Ok(())
    }
}

/// A table of one row per mark, with the fields of a mark, who sent it, from which device and
/// when: the held marks, and the history as migration 10 left it.
fn mark_table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(big_pk_auto("id"))
        .col(uuid_uniq("mark_id"))
        .col(big_integer("enrollment_id"))
        .col(big_integer("section_id"))
        .col(date("date"))
        .col(small_integer("status"))
        .col(big_integer("recorded_at_us"))
        .col(string_len_null("note", 200))
        .col(big_integer("user_id"))
        .col(uuid_null("device_id"))
        .col(uuid_null("batch_id"))
        .col(timestamp_with_time_zone("received_at"))
        .to_owned()
}

/// The batch a stored mark came in, to group the old per-mark rows into entries.
#[derive(PartialEq)]
struct Origin {
    batch_id: Option<Uuid>,
    user_id: i64,
    device_id: Option<Uuid>,
    received_at: DateTimeUtc,
}

/// One entry per run of consecutive marks of the same batch, and a receipt per mark.
async fn carry_history(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let mut after = 0i64;
    loop {
        let rows = db
            .query_all(
                &Query::select()
                    .columns([
                        "id",
                        "mark_id",
                        "enrollment_id",
                        "date",
                        "status",
                        "recorded_at_us",
                        "note",
                        "user_id",
                        "device_id",
                        "batch_id",
                        "received_at",
                        "outcome",
                    ])
                    .from("attendance_mark")
                    .and_where(Expr::col("id").gt(after))
                    .order_by("id", Order::Asc)
                    .limit(PAGE)
                    .to_owned(),
            )
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get("", "id")?;
        let mut runs: Vec<(Origin, Vec<v1::Mark>)> = Vec::new();
        for row in rows {
            let origin = Origin {
                batch_id: row.try_get("", "batch_id")?,
                user_id: row.try_get("", "user_id")?,
                device_id: row.try_get("", "device_id")?,
                received_at: row.try_get("", "received_at")?,
            };
            let outcome: String = row.try_get("", "outcome")?;
            let mark = v1::Mark {
                mark_id: row.try_get("", "mark_id")?,
                enrollment_id: row.try_get("", "enrollment_id")?,
                date: row.try_get("", "date")?,
                status: row.try_get("", "status")?,
                recorded_at_us: row.try_get("", "recorded_at_us")?,
                note: row.try_get("", "note")?,
                outcome: match outcome.as_str() {
                    "held" => v1::Outcome::Held,
                    "superseded" => v1::Outcome::Superseded,
                    _ => v1::Outcome::Accepted,
                },
            };
            match runs.last_mut() {
                Some((o, marks)) if *o == origin => marks.push(mark),
                _ => runs.push((origin, vec![mark])),
            }
        }
        for (origin, marks) in runs {
            let entry = db
                .query_one(
                    &Query::insert()
                        .into_table("attendance_entry")
                        .columns(["batch_id", "user_id", "device_id", "received_at", "marks"])
                        .values([
                            origin.batch_id.into(),
                            origin.user_id.into(),
                            origin.device_id.into(),
                            origin.received_at.into(),
                            v1::encode_marks(&marks).into(),
                        ])
                        .map_err(|e| DbErr::Migration(e.to_string()))?
                        .returning_col("id")
                        .to_owned(),
                )
                .await?
                .ok_or_else(|| DbErr::Migration("an entry was not written".to_owned()))?;
            let entry_id: i64 = entry.try_get("", "id")?;
            let mut receipts = Query::insert();
            receipts
                .into_table("mark_receipt")
                .columns(["mark_id", "entry_id"]);
            for mark in &marks {
                receipts
                    .values([mark.mark_id.into(), entry_id.into()])
                    .map_err(|e| DbErr::Migration(e.to_string()))?;
            }
            db.execute(&receipts).await?;
        }
    }
}

/// One row per section and day, its students' values packed.
async fn carry_days(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let sections: Vec<i64> = db
        .query_all(
            &Query::select()
                .distinct()
                .column("section_id")
                .from("attendance_day")
                .order_by("section_id", Order::Asc)
                .to_owned(),
        )
        .await?
        .into_iter()
        .map(|row| row.try_get("", "section_id"))
        .collect::<Result<_, _>>()?;
    for chunk in sections.chunks(100) {
        let rows = db
            .query_all(
                &Query::select()
                    .columns([
                        "section_id",
                        "date",
                        "enrollment_id",
                        "status",
                        "recorded_at_us",
                        "mark_id",
                    ])
                    .from("attendance_day")
                    .and_where(Expr::col("section_id").is_in(chunk.iter().copied()))
                    .to_owned(),
            )
            .await?;
        let mut days: BTreeMap<(i64, Date), Vec<v1::Cell>> = BTreeMap::new();
        for row in rows {
            let key = (row.try_get("", "section_id")?, row.try_get("", "date")?);
            days.entry(key).or_default().push(v1::Cell {
                enrollment_id: row.try_get("", "enrollment_id")?,
                status: row.try_get("", "status")?,
                recorded_at_us: row.try_get("", "recorded_at_us")?,
                mark_id: row.try_get("", "mark_id")?,
            });
        }
        for page in days.into_iter().collect::<Vec<_>>().chunks(500) {
            let mut insert = Query::insert();
            insert.into_table("section_day").columns([
                "section_id",
                "date",
                "version",
                "filled",
                "cells",
            ]);
            for ((section_id, date), cells) in page {
                insert
                    .values([
                        (*section_id).into(),
                        (*date).into(),
                        1i32.into(),
                        (cells.len() as i32).into(),
                        v1::encode_cells(cells).into(),
                    ])
                    .map_err(|e| DbErr::Migration(e.to_string()))?;
            }
            db.execute(&insert).await?;
        }
    }
    Ok(())
}
