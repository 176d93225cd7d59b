//! The answers given to writes sent with an `Idempotency-Key`, so that the same key sent again
//! (a retry after a lost answer) gets the first answer instead of a second write. Kept a day.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("idempotency_key")
                    .col(string_len("scope", 64))
                    .col(string_len("key", 255))
                    .col(string_len("fingerprint", 64))
                    .col(small_integer_null("status"))
                    .col(string_len_null("content_type", 255))
                    .col(text_null("body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("scope").col("key"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idempotency_key", &["created_at"], false))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("idempotency_key").to_owned())
            .await
    }
}
