//! `held_mark`: a mark that arrived for a closed month, kept for the director's review.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "held_mark")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub mark_id: Uuid,
    pub enrollment_id: i64,
    pub section_id: i64,
    pub date: Date,
    pub status: i16,
    /// When the mark was recorded on the device, in microseconds since the Unix epoch (UTC).
    pub recorded_at_us: i64,
    pub note: Option<String>,
    pub user_id: i64,
    pub device_id: Option<Uuid>,
    pub batch_id: Option<Uuid>,
    pub received_at: DateTimeUtc,
    /// `pending` until the director applies it (`applied`).
    pub review: crate::vocabulary::HeldReview,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
