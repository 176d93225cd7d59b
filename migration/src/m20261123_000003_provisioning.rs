//! Provisioning (altas y bajas) with approval, password reset links, the mail outbox, and the
//! rule of one active holder per unit.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("provisioning_request")
                    .col(big_pk_auto("id"))
                    .col(string_len("kind", 8))
                    .col(string_len("role", 32))
                    .col(big_integer_null("dre_id"))
                    .col(big_integer_null("ugel_id"))
                    .col(big_integer_null("school_id"))
                    .col(string_len_null("level", 16))
                    .col(string_len("dni", 8))
                    .col(string_null("paternal_surname"))
                    .col(string_null("maternal_surname"))
                    .col(string_null("given_names"))
                    .col(string_null("email"))
                    .col(string_len_null("cell_phone", 9))
                    .col(big_integer_null("assignment_id"))
                    .col(string_null("resolution_number"))
                    .col(date_null("resolution_date"))
                    .col(string_null("resolution_file"))
                    .col(string_null("resolution_file_name"))
                    .col(string_len_null("resolution_sha256", 64))
                    .col(text_null("reason"))
                    .col(string_len("status", 16))
                    .col(big_integer("requested_by"))
                    .col(timestamp_with_time_zone("requested_at"))
                    .col(big_integer_null("decided_by"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(text_null("decision_reason"))
                    .col(big_integer_null("result_user_id"))
                    .col(big_integer_null("result_assignment_id"))
                    .foreign_key(&mut fk(
                        "provisioning_request",
                        "requested_by",
                        "user_account",
                    ))
                    .foreign_key(&mut fk("provisioning_request", "dre_id", "dre"))
                    .foreign_key(&mut fk("provisioning_request", "ugel_id", "ugel"))
                    .foreign_key(&mut fk("provisioning_request", "school_id", "school"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("provisioning_request", &["status", "ugel_id"], false))
            .await?;
        manager
            .create_index(index("provisioning_request", &["requested_by"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("password_reset_token")
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("token_hash", 64))
                    .col(big_integer("user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(&mut fk("password_reset_token", "user_id", "user_account"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("mail_outbox")
                    .col(big_pk_auto("id"))
                    .col(string_null("dedupe_key").unique_key())
                    .col(string("to_address"))
                    .col(string("subject"))
                    .col(text("text_body"))
                    .col(text("html_body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(text_null("last_error"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("mail_outbox", &["sent_at", "next_attempt_at"], false))
            .await?;

        // One active holder per unit (docs/domain.md §2), kept by the database itself so that two
        // concurrent approvals cannot both win. Partial expression indexes work on SQLite and
        // PostgreSQL alike.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_role_assignment_single_holder ON role_assignment \
                 (role, COALESCE(dre_id, 0), COALESCE(ugel_id, 0), COALESCE(school_id, 0), COALESCE(level, '')) \
                 WHERE active AND role IN ('dre_specialist', 'dre_statistician', 'ugel_specialist', \
                 'ugel_statistician', 'level_specialist', 'director')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ux_role_assignment_single_holder")
            .await?;
        for table in [
            "mail_outbox",
            "password_reset_token",
            "provisioning_request",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
