//! The mail outbox keeps each message as its template and the data to render it with; the body
//! is rendered when the message is sent. Messages queued before keep their rendered text, so the
//! rendered columns become optional. The sender finds pending messages through a partial index
//! in queue order that holds only the unsent ones.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The outbox as this migration leaves it.
fn outbox(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(big_pk_auto("id"))
        .col(string_null("dedupe_key").unique_key())
        .col(string("to_address"))
        .col(string_null("subject"))
        .col(text_null("text_body"))
        .col(text_null("html_body"))
        .col(timestamp_with_time_zone("created_at"))
        .col(integer("attempts"))
        .col(timestamp_with_time_zone("next_attempt_at"))
        .col(timestamp_with_time_zone_null("locked_until"))
        .col(timestamp_with_time_zone_null("sent_at"))
        .col(text_null("last_error"))
        .col(string_len_null("template", 48))
        .col(text_null("context"))
        .to_owned()
}

const KEPT: &str = "id, dedupe_key, to_address, subject, text_body, html_body, created_at, attempts, \
                    next_attempt_at, locked_until, sent_at, last_error";

/// Unsent messages in queue order: the sender reads the first due ones without sorting.
const PENDING: &str =
    "CREATE INDEX ix_mail_outbox_pending ON mail_outbox (id) WHERE sent_at IS NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            // SQLite cannot relax NOT NULL in place: the table is rebuilt, ids and all, in one
            // script so that every step runs on the same connection.
            let create = outbox("mail_outbox_next").to_string(SqliteQueryBuilder);
            return manager
                .get_connection()
                .execute_unprepared(&format!(
                    "{create}; \
                     INSERT INTO mail_outbox_next ({KEPT}) SELECT {KEPT} FROM mail_outbox; \
                     DROP TABLE mail_outbox; \
                     ALTER TABLE mail_outbox_next RENAME TO mail_outbox; \
                     {PENDING};"
                ))
                .await
                .map(drop);
        }
        manager
            .alter_table(
                Table::alter()
                    .table("mail_outbox")
                    .modify_column(ColumnDef::new("subject").string().null())
                    .modify_column(ColumnDef::new("text_body").text().null())
                    .modify_column(ColumnDef::new("html_body").text().null())
                    .add_column(string_len_null("template", 48))
                    .add_column(text_null("context"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ix_mail_outbox_sent_at_next_attempt_at")
            .await?;
        db.execute_unprepared(PENDING).await.map(drop)
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Messages queued as templates have no rendered body to go back to.
        Err(DbErr::Migration(
            "el buzón de correo no puede volver a guardar solo cuerpos ya generados".into(),
        ))
    }
}
