//! The current value of each student and day is kept in the order it is read and written: by
//! section, day and enrollment. A tablet's batch is one section's day, so its rows land side by
//! side in one index instead of in two (the primary key by enrollment and day, plus an index by
//! section and day that every reader used): one index less to write per mark, and the register,
//! progress and export reads are served by the key itself.
//!
//! An enrollment never changes section (a move is a new enrollment), so the new key is unique
//! exactly where the old one was.
//!
//! SQLite cannot change a table's primary key without rebuilding it: there the index by section
//! and day becomes the unique index on the new key, which the writes name as their conflict
//! target on both databases.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: [&str; 3] = [
    "ALTER TABLE attendance_day DROP CONSTRAINT attendance_day_pkey",
    "DROP INDEX ix_attendance_day_section_id_date",
    "ALTER TABLE attendance_day ADD CONSTRAINT attendance_day_pkey \
     PRIMARY KEY (section_id, date, enrollment_id)",
];

const POSTGRES_DOWN: [&str; 3] = [
    "ALTER TABLE attendance_day DROP CONSTRAINT attendance_day_pkey",
    "ALTER TABLE attendance_day ADD CONSTRAINT attendance_day_pkey PRIMARY KEY (enrollment_id, date)",
    "CREATE INDEX ix_attendance_day_section_id_date ON attendance_day (section_id, date)",
];

const SQLITE_UP: [&str; 2] = [
    "DROP INDEX ix_attendance_day_section_id_date",
    "CREATE UNIQUE INDEX ix_attendance_day_section_id_date_enrollment_id \
     ON attendance_day (section_id, date, enrollment_id)",
];

const SQLITE_DOWN: [&str; 2] = [
    "DROP INDEX ix_attendance_day_section_id_date_enrollment_id",
    "CREATE INDEX ix_attendance_day_section_id_date ON attendance_day (section_id, date)",
];

async fn run(manager: &SchemaManager<'_>, postgres: &[&str], sqlite: &[&str]) -> Result<(), DbErr> {
    let statements = match manager.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => postgres,
        _ => sqlite,
    };
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &POSTGRES_UP, &SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, &POSTGRES_DOWN, &SQLITE_DOWN).await
    }
}
