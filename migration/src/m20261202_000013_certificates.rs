//! Mi Certificado: certificate requests (direct or from the public), the years an issuer types
//! in, issued certificates with their signed bytes, each IE's settings and the staff it lets issue.

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
                    .table("certificate_request")
                    .col(big_pk_auto("id"))
                    .col(big_integer("school_id"))
                    .col(big_integer("student_id"))
                    .col(string_len("status", 16))
                    .col(string_len("origin", 16))
                    .col(string_len_null("guardian_dni", 8))
                    .col(string_null("guardian_names"))
                    .col(string_null("guardian_relationship"))
                    .col(string_null("guardian_contact"))
                    .col(text_null("additional_info"))
                    .col(string_null("requester_email"))
                    .col(string_len_null("requester_phone", 9))
                    .col(text_null("purpose"))
                    .col(text("observations"))
                    .col(integer_null("last_year"))
                    .col(string("search_name"))
                    .col(big_integer_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(big_integer_null("decided_by"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(text_null("reject_reason"))
                    .col(big_integer_null("certificate_id"))
                    .col(string_len_null("download_token_hash", 64).unique_key())
                    .col(timestamp_with_time_zone_null("download_used_at"))
                    .foreign_key(&mut fk("certificate_request", "school_id", "school"))
                    .foreign_key(&mut fk("certificate_request", "student_id", "student"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "certificate_request",
                &["school_id", "status", "created_at"],
                false,
            ))
            .await?;
        manager
            .create_index(index("certificate_request", &["student_id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("certificate_year")
                    .col(big_pk_auto("id"))
                    .col(big_integer("request_id"))
                    .col(integer("year"))
                    .col(string_len("grade", 32))
                    .col(string_len("level", 16))
                    .col(string_len("codigo_modular", 9))
                    .col(boolean("registered"))
                    .col(string_null("school_name"))
                    .col(string_len("situation", 32))
                    .col(text("areas"))
                    .col(big_integer("entered_by"))
                    .col(string("entered_by_name"))
                    .col(timestamp_with_time_zone("entered_at"))
                    .foreign_key(&mut fk(
                        "certificate_year",
                        "request_id",
                        "certificate_request",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("certificate_year", &["request_id", "year"], true))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("certificate")
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("virtual_code", 16))
                    .col(big_integer("request_id"))
                    .col(big_integer("school_id"))
                    .col(big_integer("student_id"))
                    .col(string_len("status", 16))
                    .col(text_null("annul_reason"))
                    .col(timestamp_with_time_zone_null("status_changed_at"))
                    .col(big_integer_null("superseded_by"))
                    .col(big_integer_null("supersedes"))
                    .col(big_integer("issued_by"))
                    .col(timestamp_with_time_zone("issued_at"))
                    .col(integer_null("last_year"))
                    .col(string("search_name"))
                    .col(string_len("student_document", 14))
                    .col(blob("cose"))
                    .col(string_len("sha256", 64))
                    .foreign_key(&mut fk("certificate", "request_id", "certificate_request"))
                    .foreign_key(&mut fk("certificate", "school_id", "school"))
                    .foreign_key(&mut fk("certificate", "student_id", "student"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("certificate", &["school_id", "issued_at"], false))
            .await?;
        manager
            .create_index(index("certificate", &["status"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("certificate_setting")
                    .col(big_integer("school_id").primary_key())
                    .col(boolean("constancia_enabled"))
                    .col(boolean("public_requests_enabled"))
                    .col(big_integer_null("updated_by"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("certificate_setting", "school_id", "school"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("certificate_issuer")
                    .col(big_pk_auto("id"))
                    .col(big_integer("school_id"))
                    .col(big_integer("user_id"))
                    .col(big_integer("granted_by"))
                    .col(timestamp_with_time_zone("granted_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("certificate_issuer", "school_id", "school"))
                    .foreign_key(&mut fk("certificate_issuer", "user_id", "user_account"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("certificate_issuer", &["school_id", "user_id"], true))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "certificate_issuer",
            "certificate_setting",
            "certificate",
            "certificate_year",
            "certificate_request",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
