//! Knowledge-base suggestions while typing: a vector of each article's title and tags, searched
//! before the whole article's, and the read-mostly GIN indexes of both without a pending list
//! (`fastupdate = off`: an article is written seldom and searched on every word typed, and a
//! search would otherwise read the unsorted pending list too). PostgreSQL only: on SQLite the
//! FTS5 table is merged into one b-tree instead (`optimize`), its equivalent.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "ALTER TABLE helpdesk_article ADD COLUMN title_search tsvector GENERATED ALWAYS AS \
                 (to_tsvector('spanish', helpdesk_unaccent(title || ' ' || tags))) STORED",
            )
            .await?;
            db.execute_unprepared(
                "CREATE INDEX ix_helpdesk_article_title_search ON helpdesk_article \
                 USING gin (title_search) WITH (fastupdate = off)",
            )
            .await?;
            db.execute_unprepared("ALTER INDEX ix_helpdesk_article_search SET (fastupdate = off)")
                .await?;
            // What the pending list already holds goes into the index now.
            db.execute_unprepared(
                "SELECT gin_clean_pending_list('ix_helpdesk_article_search'::regclass)",
            )
            .await?;
        } else {
            db.execute_unprepared(
                "INSERT INTO helpdesk_article_fts (helpdesk_article_fts) VALUES ('optimize')",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("ALTER INDEX ix_helpdesk_article_search RESET (fastupdate)")
                .await?;
            db.execute_unprepared("DROP INDEX ix_helpdesk_article_title_search")
                .await?;
            db.execute_unprepared("ALTER TABLE helpdesk_article DROP COLUMN title_search")
                .await?;
        }
        Ok(())
    }
}
