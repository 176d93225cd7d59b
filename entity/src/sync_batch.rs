//! `sync_batch`: pushed batches and the answer given, so that a resent batch gets the same answer.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "sync_batch")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub batch_id: Uuid,
    pub user_id: i64,
    pub device_id: Uuid,
    pub received_at: DateTimeUtc,
    /// The per-mark results, compact (see `api/src/sync/answer.rs`); the batch id and
    /// `received_at` complete the answer.
    #[sea_orm(column_type = "Text")]
    pub response: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
