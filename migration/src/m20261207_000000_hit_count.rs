//! Counts of hits on the public endpoints (certificate verifications, public requests) per key,
//! in a window that starts at the key's first hit, kept in the database so that every server
//! instance counts the same hits.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("hit_count")
                    .col(string("key").primary_key())
                    .col(big_integer("window_start"))
                    .col(big_integer("hits"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index("hit_count", &["window_start"], false))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("hit_count").to_owned())
            .await
    }
}
