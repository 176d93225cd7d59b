//! What the help desk's SLA job needs to stay fast on a national queue:
//!
//! - each ticket remembers which SLA warnings it has already given at its current level
//!   (`sla_notified`, a set of bits, valid while `sla_notified_since` equals the ticket's
//!   `level_since`), so a run reads the event log only of the tickets that may cross a threshold;
//! - a partial index over the open tickets, the only ones the job measures, and one by filing
//!   time, for the summary report of a period;
//! - the deflections an article had, one per person (`helpdesk_deflection`), so that nobody
//!   counts one twice;
//! - on PostgreSQL, the articles' search vector is stored (a generated column with its GIN index)
//!   instead of recomputed from the text for every candidate an article search ranks.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

use crate::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OPEN: &str =
    "state IN ('nuevo', 'en_atencion', 'esperando_usuario', 'escalado', 'reabierto')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("helpdesk_ticket")
                    .add_column(small_integer("sla_notified").default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("helpdesk_ticket")
                    .add_column(timestamp_with_time_zone_null("sla_notified_since"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE INDEX ix_helpdesk_ticket_open ON helpdesk_ticket (id) WHERE {OPEN}"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_helpdesk_ticket_created_at ON helpdesk_ticket (created_at)",
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("helpdesk_deflection")
                    .col(big_integer("article_id"))
                    .col(big_integer("user_id"))
                    .col(timestamp_with_time_zone("deflected_at"))
                    .primary_key(Index::create().col("article_id").col("user_id"))
                    .foreign_key(&mut fk(
                        "helpdesk_deflection",
                        "article_id",
                        "helpdesk_article",
                    ))
                    .foreign_key(&mut fk("helpdesk_deflection", "user_id", "user_account"))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP INDEX IF EXISTS ix_helpdesk_article_search")
                .await?;
            db.execute_unprepared(
                "ALTER TABLE helpdesk_article ADD COLUMN search tsvector GENERATED ALWAYS AS \
                 (to_tsvector('spanish', helpdesk_unaccent(title || ' ' || tags || ' ' || problem || ' ' || solution))) STORED",
            )
            .await?;
            db.execute_unprepared(
                "CREATE INDEX ix_helpdesk_article_search ON helpdesk_article USING gin (search)",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP INDEX IF EXISTS ix_helpdesk_article_search")
                .await?;
            db.execute_unprepared("ALTER TABLE helpdesk_article DROP COLUMN search")
                .await?;
            db.execute_unprepared(
                "CREATE INDEX ix_helpdesk_article_search ON helpdesk_article USING gin \
                 (to_tsvector('spanish', helpdesk_unaccent(title || ' ' || tags || ' ' || problem || ' ' || solution)))",
            )
            .await?;
        }
        manager
            .drop_table(Table::drop().table("helpdesk_deflection").to_owned())
            .await?;
        for index in ["ix_helpdesk_ticket_open", "ix_helpdesk_ticket_created_at"] {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {index}"))
                .await?;
        }
        for column in ["sla_notified_since", "sla_notified"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("helpdesk_ticket")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
