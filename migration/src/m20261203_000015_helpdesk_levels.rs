//! The help desk's N2 in two stages (the Especialista SIAGIE of the requester's UGEL, then of its
//! DRE), the availability of the people who work tickets (round-robin skips those away), and one
//! "¿Le sirvió?" vote per person and article.
//!
//! Existing tickets at N2 become the UGEL stage; those that reached N2 were read by their UGEL,
//! and those that went on to N3 had also passed the DRE (N2 was shared), so both keep reading them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Columns added to a table, one statement each (SQLite alters one column at a time).
async fn add(
    manager: &SchemaManager<'_>,
    table: &'static str,
    columns: Vec<ColumnDef>,
) -> Result<(), DbErr> {
    for mut column in columns {
        manager
            .alter_table(
                Table::alter()
                    .table(table)
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(
            manager,
            "helpdesk_ticket",
            vec![
                string_len_null("n2_unit", 8),
                boolean("reached_ugel").default(false).to_owned(),
                boolean("reached_dre").default(false).to_owned(),
            ],
        )
        .await?;
        add(
            manager,
            "helpdesk_event",
            vec![string_len_null("n2_unit", 8)],
        )
        .await?;
        let db = manager.get_connection();
        for sql in [
            "UPDATE helpdesk_ticket SET n2_unit = 'ugel' WHERE level = 2",
            "UPDATE helpdesk_ticket SET reached_ugel = TRUE WHERE reached_level >= 2",
            "UPDATE helpdesk_ticket SET reached_dre = TRUE WHERE reached_level >= 3",
            "UPDATE helpdesk_event SET n2_unit = 'ugel' WHERE level = 2",
        ] {
            db.execute_unprepared(sql).await?;
        }
        for columns in [
            &["ugel_id", "reached_ugel", "id"][..],
            &["dre_id", "reached_dre", "id"],
        ] {
            manager
                .create_index(index("helpdesk_ticket", columns, false))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("helpdesk_availability")
                    .col(big_integer("user_id").primary_key())
                    .col(boolean("available"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("helpdesk_availability", "user_id", "user_account"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("helpdesk_article_vote")
                    .col(big_integer("article_id"))
                    .col(big_integer("user_id"))
                    .col(boolean("helpful"))
                    .col(timestamp_with_time_zone("voted_at"))
                    .primary_key(Index::create().col("article_id").col("user_id"))
                    .foreign_key(&mut fk(
                        "helpdesk_article_vote",
                        "article_id",
                        "helpdesk_article",
                    ))
                    .foreign_key(&mut fk("helpdesk_article_vote", "user_id", "user_account"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["helpdesk_article_vote", "helpdesk_availability"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for name in [
            "ix_helpdesk_ticket_ugel_id_reached_ugel_id",
            "ix_helpdesk_ticket_dre_id_reached_dre_id",
        ] {
            manager
                .drop_index(Index::drop().name(name).table("helpdesk_ticket").to_owned())
                .await?;
        }
        for (table, column) in [
            ("helpdesk_event", "n2_unit"),
            ("helpdesk_ticket", "reached_dre"),
            ("helpdesk_ticket", "reached_ugel"),
            ("helpdesk_ticket", "n2_unit"),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
