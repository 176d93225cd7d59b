//! The e-mail each person's owner confirmed (`confirmed_email`: the address as confirmed, so an
//! address changed since by any path is no longer confirmed), and the codes that confirm one.
//!
//! A link that opens an account (a password reset, a new account's first password) goes only to
//! an address its owner confirmed: signed in, with its password, and with a code sent there. An
//! address given by whoever registered the person first (maybe a director elsewhere) no longer
//! opens the account. The addresses on record of people with an account keep serving as they
//! did (they received links): they count as confirmed when the table is made. Those of people
//! without one were only typed by whoever registered them, and do not.

use sea_orm_migration::{prelude::*, schema::*};

use crate::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("confirmed_email")
                    .col(big_integer("person_id").primary_key())
                    .col(string_len("email", 254))
                    .col(timestamp_with_time_zone("confirmed_at"))
                    .foreign_key(&mut fk("confirmed_email", "person_id", "person"))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO confirmed_email (person_id, email, confirmed_at) \
                 SELECT p.id, p.email, p.created_at FROM person p WHERE p.email IS NOT NULL \
                 AND EXISTS (SELECT 1 FROM user_account u WHERE u.person_id = p.id)",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("email_confirmation")
                    .col(big_integer("user_id").primary_key())
                    .col(string_len("email", 254))
                    .col(string_len("code_hash", 64))
                    .col(small_integer("attempts_left"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(&mut fk("email_confirmation", "user_id", "user_account"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["email_confirmation", "confirmed_email"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
