//! One valid certificate per student and level, enforced by the database: each certificate
//! records the level it certifies (`level`), and a partial unique index allows one `valid`
//! certificate per student and level, on SQLite and PostgreSQL alike. The published status list
//! gives a category for why a certificate stopped being valid (`status_category`), never the
//! free-text reason.
//!
//! Certificates issued before this change take the level of their IE (every IE of the registry
//! teaches one level under its código modular and anexo). Where two valid certificates of a
//! student and level already exist (two batches at the same moment issued both), the older is
//! marked superseded by the newer, which stays valid: both still verify, the older one naming the
//! newer, as a correction does.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The index's name: PostgreSQL names it in a violation (`api/src/error/code.rs` maps it).
pub const INDEX: &str = "ix_certificate_valid_student_id_level";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("certificate")
                    .add_column(string_len("level", 16).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("certificate")
                    .add_column(string_len_null("status_category", 32))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE certificate SET level = COALESCE(\
               (SELECT s.level FROM school s WHERE s.id = certificate.school_id), level)",
        )
        .await?;
        // The newest valid certificate of each student and level stays; those before it are
        // superseded by it, dated when it was issued.
        let newest = "(SELECT MAX(d.id) FROM certificate d WHERE d.student_id = certificate.student_id \
             AND d.level = certificate.level AND d.status = 'valid')";
        db.execute_unprepared(&format!(
            "UPDATE certificate SET status = 'superseded', superseded_by = {newest}, \
               status_category = 'duplicado', \
               annul_reason = 'Emitido dos veces a la vez por un error del sistema ya corregido: lo reemplaza el certificado emitido a continuación.', \
               status_changed_at = (SELECT n.issued_at FROM certificate n WHERE n.id = {newest}) \
             WHERE status = 'valid' AND EXISTS (SELECT 1 FROM certificate d \
               WHERE d.student_id = certificate.student_id AND d.level = certificate.level \
               AND d.status = 'valid' AND d.id > certificate.id)"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "CREATE UNIQUE INDEX {INDEX} ON certificate (student_id, level) WHERE status = 'valid'"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!("DROP INDEX {INDEX}"))
            .await?;
        for column in ["status_category", "level"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("certificate")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
