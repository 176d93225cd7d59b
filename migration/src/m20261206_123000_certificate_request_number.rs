//! The number a public certificate request is acknowledged with (`certificate_request.number`,
//! e.g. `SC-7KQ4M2XP`): the requester gets it by e-mail and quotes it to the IE.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("certificate_request")
                    .add_column(string_len_null("number", 16))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ix_certificate_request_number ON certificate_request (number)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_certificate_request_number")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("certificate_request")
                    .drop_column("number")
                    .to_owned(),
            )
            .await
    }
}
