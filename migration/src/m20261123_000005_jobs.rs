//! Scheduled job runs: one row per job and scheduled occurrence, so that with several server
//! instances each occurrence runs once in total.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("job_run")
                    .col(string_len("job", 48))
                    .col(string_len("run_key", 48))
                    .col(timestamp_with_time_zone("started_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .col(text_null("outcome"))
                    .primary_key(Index::create().col("job").col("run_key"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("job_run").to_owned())
            .await
    }
}
