//! Marks held for the director's review, found without reading the whole history: the alerts
//! count them per IE on every run, and the history grows by millions of marks a day.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A partial index, the same on SQLite and PostgreSQL: it holds only the pending marks.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_attendance_mark_pending_review ON attendance_mark (section_id) \
                 WHERE review = 'pending'",
            )
            .await
            .map(drop)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_attendance_mark_pending_review")
            .await
            .map(drop)
    }
}
