//! What the help desk's console keeps: each person's saved views of the queue (a name and the
//! filters' query string), who has a ticket's page open, and the canned replies the Central de
//! Atención keeps per topic, each of which may also move the ticket (ask the requester,
//! resolve). And two partial indexes over the open tickets, so that a national queue opens
//! oldest first or by priority without reading the closed tickets that came before.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const OPEN: &str =
    "state IN ('nuevo', 'en_atencion', 'esperando_usuario', 'escalado', 'reabierto')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, columns) in [
            ("ix_helpdesk_ticket_open_created_at", "created_at, id"),
            ("ix_helpdesk_ticket_open_priority", "priority DESC, id"),
        ] {
            db.execute_unprepared(&format!(
                "CREATE INDEX {name} ON helpdesk_ticket ({columns}) WHERE {OPEN}"
            ))
            .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("console_view")
                    .col(big_pk_auto("id"))
                    .col(big_integer("user_id"))
                    .col(string_len("name", 60))
                    .col(string_len("query", 1000))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("console_view", "user_id", "user_account"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("console_view", &["user_id", "name"], true))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("helpdesk_presence")
                    .col(big_integer("ticket_id"))
                    .col(big_integer("user_id"))
                    .col(timestamp_with_time_zone("seen_at"))
                    .primary_key(Index::create().col("ticket_id").col("user_id"))
                    .foreign_key(&mut fk("helpdesk_presence", "ticket_id", "helpdesk_ticket"))
                    .foreign_key(&mut fk("helpdesk_presence", "user_id", "user_account"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("helpdesk_canned_reply")
                    .col(big_pk_auto("id"))
                    .col(big_integer_null("topic_id"))
                    .col(string_len("title", 120))
                    .col(text("body"))
                    .col(string_len_null("then_step", 16))
                    .col(boolean("active"))
                    .col(big_integer("updated_by"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk(
                        "helpdesk_canned_reply",
                        "topic_id",
                        "helpdesk_topic",
                    ))
                    .foreign_key(&mut fk(
                        "helpdesk_canned_reply",
                        "updated_by",
                        "user_account",
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for index in [
            "ix_helpdesk_ticket_open_created_at",
            "ix_helpdesk_ticket_open_priority",
        ] {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP INDEX IF EXISTS {index}"))
                .await?;
        }
        for table in ["helpdesk_canned_reply", "helpdesk_presence", "console_view"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
