//! Counts of hits on the public endpoints (certificate verifications, public requests) per key,
//! in a window that starts at the key's first hit, kept in the database so that every server
//! instance counts the same hits. On PostgreSQL the table is unlogged: a count is not evidence,
//! its writes need not wait for the disk, and a crash may empty it (every window starts again).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE UNLOGGED TABLE hit_count (key varchar NOT NULL PRIMARY KEY, \
                     window_start bigint NOT NULL, hits bigint NOT NULL)",
                )
                .await?;
        } else {
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
        }
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
