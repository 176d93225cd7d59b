//! Schema migrations, one file per change. They run on SQLite and PostgreSQL alike.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_organisation;
mod m20261123_000002_identity;
mod m20261123_000003_provisioning;
mod m20261123_000004_attendance;
mod m20261123_000005_jobs;
mod m20261123_000006_register_progress;
mod m20261124_000007_outbox_templates;
mod m20261124_000008_history_indexes;
mod m20261124_000009_marks_without_row_locks;
mod m20261124_000010_days_keyed_by_section;
mod m20261130_000011_packed_attendance;
mod m20261202_000012_evaluation;
mod m20261202_000013_certificates;
mod m20261202_000014_helpdesk;
mod m20261203_000015_helpdesk_levels;
mod m20261203_000016_helpdesk_sla_marks;
mod m20261206_000017_regularization;
mod m20261206_121500_one_valid_certificate;
mod m20261206_123000_certificate_request_number;
mod m20261206_140000_idempotency_key;
mod m20261206_150000_recovery;
mod m20261206_160000_exceptional_modification;
mod m20261206_170000_console;
mod m20261206_200000_certificate_not_valid;
mod m20261206_200100_helpdesk_article_title_search;
mod m20261206_200200_helpdesk_article_latest;
mod m20261207_000000_hit_count;
mod m20261207_100000_provisioning_request_pending;
mod m20261207_110000_register_progress_unit;
mod m20261207_120000_email_confirmation;
mod m20261207_130000_director_contact;
mod m20261208_000000_outbox_director;
mod m20261208_010000_director_contact_serialized;

/// Every migration of the schema, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_organisation::Migration),
            Box::new(m20261123_000002_identity::Migration),
            Box::new(m20261123_000003_provisioning::Migration),
            Box::new(m20261123_000004_attendance::Migration),
            Box::new(m20261123_000005_jobs::Migration),
            Box::new(m20261123_000006_register_progress::Migration),
            Box::new(m20261124_000007_outbox_templates::Migration),
            Box::new(m20261124_000008_history_indexes::Migration),
            Box::new(m20261124_000009_marks_without_row_locks::Migration),
            Box::new(m20261124_000010_days_keyed_by_section::Migration),
            Box::new(m20261130_000011_packed_attendance::Migration),
            Box::new(m20261202_000012_evaluation::Migration),
            Box::new(m20261202_000013_certificates::Migration),
            Box::new(m20261202_000014_helpdesk::Migration),
            Box::new(m20261203_000015_helpdesk_levels::Migration),
            Box::new(m20261203_000016_helpdesk_sla_marks::Migration),
            Box::new(m20261206_000017_regularization::Migration),
            Box::new(m20261206_121500_one_valid_certificate::Migration),
            Box::new(m20261206_123000_certificate_request_number::Migration),
            Box::new(m20261206_140000_idempotency_key::Migration),
            Box::new(m20261206_150000_recovery::Migration),
            Box::new(m20261206_160000_exceptional_modification::Migration),
            Box::new(m20261206_170000_console::Migration),
            Box::new(m20261206_200000_certificate_not_valid::Migration),
            Box::new(m20261206_200100_helpdesk_article_title_search::Migration),
            Box::new(m20261206_200200_helpdesk_article_latest::Migration),
            Box::new(m20261207_000000_hit_count::Migration),
            Box::new(m20261207_100000_provisioning_request_pending::Migration),
            Box::new(m20261207_110000_register_progress_unit::Migration),
            Box::new(m20261207_120000_email_confirmation::Migration),
            Box::new(m20261207_130000_director_contact::Migration),
            Box::new(m20261208_000000_outbox_director::Migration),
            Box::new(m20261208_010000_director_contact_serialized::Migration),
        ]
    }
}

/// A foreign key from `table.column` to `target.id`.
pub(crate) fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .to_owned()
}

/// An index named after its table and columns.
pub(crate) fn index(
    table: &'static str,
    columns: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(format!("ix_{table}_{}", columns.join("_")))
        .table(table);
    for column in columns {
        index.col(*column);
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}
