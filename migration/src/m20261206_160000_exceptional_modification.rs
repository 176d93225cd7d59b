//! One table for the exceptional modification requests of both kinds of closed record, a month's
//! attendance register (`register_modification`) and a section's acta (`acta_modification`).
//!
//! The API knows a request by its kind and its number (`/register-modifications/3`,
//! `/acta-modifications/3`), and so do the audit trail and the outbox keys: the rows keep their
//! numbers, the key being the kind and the number. Each kind goes on numbering from its own last
//! number (`exceptional_modification_counter`, one row per kind).
//!
//! The tables of both kinds are written here as they were, for `down`: a migration never uses
//! today's code.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns both kinds' rows have, in the order of the old tables after their record's id.
const COMMON: &str = "status, reason, requested_by, requested_at, opinion_by, opinion_at, \
     favorable, opinion_note, enabled_by, enabled_at, enabled_until, closed_at";

/// Each kind: its name, its old table and the column naming its record.
const KINDS: [(&str, &str, &str); 2] = [
    ("register", "register_modification", "register_id"),
    ("acta", "acta_modification", "acta_id"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("exceptional_modification")
                    .col(string_len("kind", 16))
                    .col(big_integer("id"))
                    .col(big_integer_null("register_id"))
                    .col(big_integer_null("acta_id"))
                    .col(string_len("status", 24))
                    .col(text("reason"))
                    .col(big_integer("requested_by"))
                    .col(timestamp_with_time_zone("requested_at"))
                    .col(big_integer_null("opinion_by"))
                    .col(timestamp_with_time_zone_null("opinion_at"))
                    .col(boolean_null("favorable"))
                    .col(text_null("opinion_note"))
                    .col(big_integer_null("enabled_by"))
                    .col(timestamp_with_time_zone_null("enabled_at"))
                    .col(timestamp_with_time_zone_null("enabled_until"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .primary_key(Index::create().col("kind").col("id"))
                    .foreign_key(&mut fk(
                        "exceptional_modification",
                        "register_id",
                        "attendance_register",
                    ))
                    .foreign_key(&mut fk("exceptional_modification", "acta_id", "acta"))
                    .to_owned(),
            )
            .await?;
        for column in ["register_id", "acta_id"] {
            manager
                .create_index(index("exceptional_modification", &[column], false))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("exceptional_modification_counter")
                    .col(string_len("kind", 16).primary_key())
                    .col(big_integer("last"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for (kind, table, record) in KINDS {
            db.execute_unprepared(&format!(
                "INSERT INTO exceptional_modification (kind, id, {record}, {COMMON}) \
                 SELECT '{kind}', id, {record}, {COMMON} FROM {table}"
            ))
            .await?;
            db.execute_unprepared(&format!(
                "INSERT INTO exceptional_modification_counter (kind, last) \
                 SELECT '{kind}', COALESCE(MAX(id), 0) FROM {table}"
            ))
            .await?;
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (kind, table, record) in KINDS {
            let target = if record == "register_id" {
                "attendance_register"
            } else {
                "acta"
            };
            manager
                .create_table(
                    Table::create()
                        .table(table)
                        .col(big_pk_auto("id"))
                        .col(big_integer(record))
                        .col(string_len("status", 24))
                        .col(text("reason"))
                        .col(big_integer("requested_by"))
                        .col(timestamp_with_time_zone("requested_at"))
                        .col(big_integer_null("opinion_by"))
                        .col(timestamp_with_time_zone_null("opinion_at"))
                        .col(boolean_null("favorable"))
                        .col(text_null("opinion_note"))
                        .col(big_integer_null("enabled_by"))
                        .col(timestamp_with_time_zone_null("enabled_at"))
                        .col(timestamp_with_time_zone_null("enabled_until"))
                        .col(timestamp_with_time_zone_null("closed_at"))
                        .foreign_key(&mut fk(table, record, target))
                        .to_owned(),
                )
                .await?;
            manager.create_index(index(table, &[record], false)).await?;
            db.execute_unprepared(&format!(
                "INSERT INTO {table} (id, {record}, {COMMON}) \
                 SELECT id, {record}, {COMMON} FROM exceptional_modification \
                 WHERE kind = '{kind}'"
            ))
            .await?;
            if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
                // Rows written with their ids leave the sequence behind them.
                db.execute_unprepared(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                ))
                .await?;
            }
        }
        for table in [
            "exceptional_modification_counter",
            "exceptional_modification",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
