//! Recuperación pedagógica: for a student whose final situation in a closed acta is *requiere
//! recuperación*, the grades of the areas it failed, obtained in the recuperación, and the
//! situation they lead to (promovido or permanece), with who recorded them and when.

use sea_orm_migration::{prelude::*, schema::*};

use crate::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("recovery")
                    .col(big_integer("enrollment_id").primary_key())
                    .col(string_len("situation", 24))
                    .col(string_len("suggested", 24))
                    .col(text_null("reason"))
                    .col(big_integer("recorded_by"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(&mut fk("recovery", "enrollment_id", "enrollment"))
                    .foreign_key(&mut fk("recovery", "recorded_by", "user_account"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("recovery_grade")
                    .col(big_integer("enrollment_id"))
                    .col(big_integer("area_id"))
                    .col(small_integer("value"))
                    .primary_key(Index::create().col("enrollment_id").col("area_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_recovery_grade_enrollment_id")
                            .from("recovery_grade", "enrollment_id")
                            .to("recovery", "enrollment_id"),
                    )
                    .foreign_key(&mut fk("recovery_grade", "area_id", "curricular_area"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["recovery_grade", "recovery"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
