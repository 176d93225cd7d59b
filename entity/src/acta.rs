//! `acta`: the acta consolidada de evaluación of a section (a section belongs to one academic
//! year), its closure and the deadline of an enabled exceptional modification.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "acta")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub section_id: i64,
    pub closed_at: Option<DateTimeUtc>,
    pub closed_by: Option<i64>,
    /// While an exceptional modification is enabled: until when the acta may change.
    pub modification_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
