//! The coverage of each monthly register, kept up to date from the marks, the enrollments and the
//! calendar, so that the deadline alerts read one row per register instead of every mark.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("register_progress")
                    .col(big_integer("section_id"))
                    .col(integer("year"))
                    .col(small_integer("month"))
                    .col(integer("expected"))
                    .col(integer("filled"))
                    .col(big_integer("due_days"))
                    .col(big_integer("complete_days"))
                    .col(big_integer("version"))
                    .col(boolean("stale"))
                    .col(timestamp_with_time_zone("computed_at"))
                    .primary_key(Index::create().col("section_id").col("year").col("month"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "register_progress",
                &["year", "month", "stale"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("register_progress").to_owned())
            .await
    }
}
