//! The latest published articles, which a search with no meaningful word yet ("No se puede")
//! suggests: an index in that order, so that they are read from its end rather than sorted from
//! the whole base. On PostgreSQL the articles' statistics are also gathered again, for the
//! vector of titles and tags the migration before added.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX ix_helpdesk_article_state_updated ON helpdesk_article (state, updated_at)",
        )
        .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ANALYZE helpdesk_article").await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_helpdesk_article_state_updated")
            .await?;
        Ok(())
    }
}
