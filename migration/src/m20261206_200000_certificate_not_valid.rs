//! The certificates that no longer stand, indexed on their own (a partial index): each server
//! counts them every few seconds to notice an annulment or a correction made by another server,
//! and reads them whole for its in-memory status set and the published status list.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The same statement on PostgreSQL and SQLite: both keep partial indexes.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_certificate_not_valid ON certificate (id) WHERE status <> 'valid'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_certificate_not_valid")
            .await?;
        Ok(())
    }
}
