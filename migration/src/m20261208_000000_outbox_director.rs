//! A message for whoever directs an IE (the month's reminders) names the IE: it is addressed to
//! the director the IE has when it is sent, not the one it had when it was queued, and withdrawn
//! when the IE then has no director with a confirmed address.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            big_integer_null("director_of"),
            timestamp_with_time_zone_null("withdrawn_at"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("mail_outbox")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["withdrawn_at", "director_of"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("mail_outbox")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
