//! Regularización: a year of schooling written after its academic year ended.
//!
//! An enrollment made once its academic year had ended is marked (`enrollment.regularization`);
//! its section's acta can be filled and closed, but it counts in a student's record and its
//! certificates only once the Especialista SIAGIE of the IE's UGEL (or the unit above, where the
//! UGEL has nobody in that role) approves the section's `regularization`, asked for by the
//! director with a reason and the supporting document.
//!
//! A student may now have more than one enrollment in a year (the one it left by traslado or
//! retiro, and the one at the IE it moved to): the unique index on (student, year) becomes a
//! plain one, and the rule that enrollments of a year never overlap is kept where students are
//! enrolled.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ix_enrollment_student_id_academic_year_id")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_enrollment_student_year ON enrollment (student_id, academic_year_id)",
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("enrollment")
                    .add_column(boolean("regularization").default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("regularization")
                    .col(big_pk_auto("id"))
                    .col(big_integer("section_id").unique_key())
                    .col(big_integer("school_id"))
                    .col(string_len("status", 16))
                    .col(text("reason"))
                    .col(string("document"))
                    .col(big_integer("requested_by"))
                    .col(timestamp_with_time_zone("requested_at"))
                    .col(big_integer_null("decided_by"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(text_null("note"))
                    .foreign_key(&mut fk("regularization", "section_id", "section"))
                    .foreign_key(&mut fk("regularization", "school_id", "school"))
                    .foreign_key(&mut fk("regularization", "requested_by", "user_account"))
                    .foreign_key(&mut fk("regularization", "decided_by", "user_account"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("regularization", &["school_id", "status"], false))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("regularization").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("enrollment")
                    .drop_column("regularization")
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ix_enrollment_student_year")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ix_enrollment_student_id_academic_year_id \
             ON enrollment (student_id, academic_year_id)",
        )
        .await?;
        Ok(())
    }
}
