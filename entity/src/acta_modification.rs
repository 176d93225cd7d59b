//! `acta_modification`: exceptional modification requests of a closed acta de evaluación.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "acta_modification")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub acta_id: i64,
    pub status: crate::vocabulary::ModificationStatus,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub requested_by: i64,
    pub requested_at: DateTimeUtc,
    pub opinion_by: Option<i64>,
    pub opinion_at: Option<DateTimeUtc>,
    pub favorable: Option<bool>,
    #[sea_orm(column_type = "Text", nullable)]
    pub opinion_note: Option<String>,
    pub enabled_by: Option<i64>,
    pub enabled_at: Option<DateTimeUtc>,
    pub enabled_until: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
