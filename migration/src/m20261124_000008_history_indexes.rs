//! Marks held for the director's review, found without reading the whole history: the alerts
//! count them per IE on every run, and the history grows by millions of marks a day. The index
//! also serves the director's list of held marks per section, so the history's index on
//! `(section_id, date)`, which nothing else reads, goes: one index less to write per mark.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A partial index, the same on SQLite and PostgreSQL: it holds only the pending marks.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX ix_attendance_mark_pending_review ON attendance_mark (section_id) \
             WHERE review = 'pending'",
        )
        .await?;
        db.execute_unprepared("DROP INDEX ix_attendance_mark_section_id_date")
            .await
            .map(drop)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX ix_attendance_mark_section_id_date ON attendance_mark (section_id, date)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX ix_attendance_mark_pending_review")
            .await
            .map(drop)
    }
}
