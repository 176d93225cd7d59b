//! Identity: accounts, role assignments, refresh tokens, login throttling, devices and the
//! audit trail.

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
                    .table("user_account")
                    .col(big_pk_auto("id"))
                    .col(big_integer_uniq("person_id"))
                    .col(string_uniq("username"))
                    .col(string("password_hash"))
                    .col(boolean("must_change_password"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("password_changed_at"))
                    .foreign_key(&mut fk("user_account", "person_id", "person"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("role_assignment")
                    .col(big_pk_auto("id"))
                    .col(big_integer("user_id"))
                    .col(string_len("role", 32))
                    .col(big_integer_null("dre_id"))
                    .col(big_integer_null("ugel_id"))
                    .col(big_integer_null("school_id"))
                    .col(string_len_null("level", 16))
                    .col(boolean("active"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone_null("ended_at"))
                    .col(string_null("resolution_number"))
                    .col(date_null("resolution_date"))
                    .col(big_integer_null("request_id"))
                    .foreign_key(&mut fk("role_assignment", "user_id", "user_account"))
                    .foreign_key(&mut fk("role_assignment", "dre_id", "dre"))
                    .foreign_key(&mut fk("role_assignment", "ugel_id", "ugel"))
                    .foreign_key(&mut fk("role_assignment", "school_id", "school"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("role_assignment", &["user_id"], false))
            .await?;
        manager
            .create_index(index("role_assignment", &["role", "school_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("refresh_token")
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("token_hash", 64))
                    .col(big_integer("user_id"))
                    .col(string_len("family_id", 36))
                    .col(string_len_null("device_id", 36))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("refresh_token", "user_id", "user_account"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("refresh_token", &["family_id"], false))
            .await?;
        manager
            .create_index(index("refresh_token", &["user_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("login_throttle")
                    .col(string("key").primary_key())
                    .col(integer("failures"))
                    .col(timestamp_with_time_zone("window_started_at"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("device")
                    .col(string_len("id", 36).primary_key())
                    .col(big_integer_null("school_id"))
                    .col(big_integer_null("last_user_id"))
                    .col(timestamp_with_time_zone("first_seen_at"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .col(timestamp_with_time_zone_null("last_sync_at"))
                    .col(integer_null("pending_marks"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("device", "school_id", "school"))
                    .foreign_key(&mut fk("device", "last_user_id", "user_account"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("device", &["school_id"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_event")
                    .col(big_pk_auto("id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(big_integer_null("actor_user_id"))
                    .col(string_len("action", 48))
                    .col(string_len("entity_type", 48))
                    .col(big_integer_null("entity_id"))
                    .col(big_integer_null("dre_id"))
                    .col(big_integer_null("ugel_id"))
                    .col(big_integer_null("school_id"))
                    .col(text_null("before"))
                    .col(text_null("after"))
                    .col(string_null("request_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("audit_event", &["school_id", "at"], false))
            .await?;
        manager
            .create_index(index("audit_event", &["ugel_id", "at"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "audit_event",
            "device",
            "login_throttle",
            "refresh_token",
            "role_assignment",
            "user_account",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
