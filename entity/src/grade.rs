//! `grade`: the catalogue of grades per level (primero … sexto, 3 años …).
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "grade")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub level: crate::vocabulary::Level,
    pub ordinal: i16,
    pub name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
