//! Each register's coverage names its IE, grade and section (a section never moves nor changes
//! its name), so that the deadline alerts read one IE's registers together through an index in
//! IE order, without joining every section of the country. A row a change marked stale before
//! it was ever computed has them empty until the `register_coverage` job computes it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            big_integer_null("school_id"),
            big_integer_null("grade_id"),
            string_null("section_name"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("register_progress")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE register_progress SET school_id = s.school_id, grade_id = s.grade_id, \
                 section_name = s.name FROM section s WHERE s.id = register_progress.section_id",
            )
            .await?;
        manager
            .create_index(index(
                "register_progress",
                &["year", "month", "school_id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_register_progress_year_month_school_id")
                    .table("register_progress")
                    .to_owned(),
            )
            .await?;
        for column in ["section_name", "grade_id", "school_id"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("register_progress")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
