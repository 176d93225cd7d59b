//! Marks are written without locking their student's enrollment. A foreign key from the history
//! (`attendance_mark`) and the current value (`attendance_day`) to `enrollment` makes PostgreSQL
//! check each new row with a `FOR KEY SHARE` lock on the enrollment row: a write to the
//! enrollment's page and to the WAL for every mark, about 70 % of the time of both inserts at
//! national volume (176 million marks a month). Both tables are written only by the attendance
//! engine, which reads the enrollment of every mark in the same transaction, and enrollments are
//! never deleted (a withdrawal or transfer is a state of the enrollment).
//!
//! SQLite keeps the constraints: it checks them without locking rows, and dropping one there
//! means rebuilding the table.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const CONSTRAINTS: [(&str, &str); 2] = [
    ("attendance_mark", "fk_attendance_mark_enrollment_id"),
    ("attendance_day", "fk_attendance_day_enrollment_id"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for (table, constraint) in CONSTRAINTS {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {constraint}"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for (table, constraint) in CONSTRAINTS {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD CONSTRAINT {constraint} \
                 FOREIGN KEY (enrollment_id) REFERENCES enrollment (id)"
            ))
            .await?;
        }
        Ok(())
    }
}
