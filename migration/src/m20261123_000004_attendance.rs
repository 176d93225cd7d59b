//! Attendance: the append-only history of marks, the current value per student and day, pushed
//! batches (for idempotency), monthly registers with closure and exceptional modification, and the
//! change log that tablets pull from.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("attendance_mark")
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
                    .col(string_len("outcome", 12))
                    .col(string_len_null("review", 12))
                    .foreign_key(&mut fk("attendance_mark", "enrollment_id", "enrollment"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("attendance_mark", &["section_id", "date"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("attendance_day")
                    .col(big_integer("enrollment_id"))
                    .col(date("date"))
                    .col(big_integer("section_id"))
                    .col(small_integer("status"))
                    .col(big_integer("recorded_at_us"))
                    .col(uuid("mark_id"))
                    .primary_key(Index::create().col("enrollment_id").col("date"))
                    .foreign_key(&mut fk("attendance_day", "enrollment_id", "enrollment"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("attendance_day", &["section_id", "date"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("sync_batch")
                    .col(uuid("batch_id").primary_key())
                    .col(big_integer("user_id"))
                    .col(uuid("device_id"))
                    .col(timestamp_with_time_zone("received_at"))
                    .col(text("response"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("attendance_register")
                    .col(big_pk_auto("id"))
                    .col(big_integer("section_id"))
                    .col(integer("year"))
                    .col(small_integer("month"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .col(big_integer_null("closed_by"))
                    .col(timestamp_with_time_zone_null("modification_until"))
                    .foreign_key(&mut fk("attendance_register", "section_id", "section"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "attendance_register",
                &["section_id", "year", "month"],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("register_modification")
                    .col(big_pk_auto("id"))
                    .col(big_integer("register_id"))
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
                    .foreign_key(&mut fk(
                        "register_modification",
                        "register_id",
                        "attendance_register",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("register_modification", &["register_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("change_log")
                    .col(big_pk_auto("seq"))
                    .col(big_integer("school_id"))
                    .col(big_integer_null("section_id"))
                    .col(string_len("kind", 24))
                    .col(big_integer_null("entity_id"))
                    .col(timestamp_with_time_zone("at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("change_log", &["school_id", "seq"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "change_log",
            "register_modification",
            "attendance_register",
            "sync_batch",
            "attendance_day",
            "attendance_mark",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
