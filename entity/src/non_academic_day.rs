//! `non_academic_day`: non-academic days of an academic year: national, or added by a UGEL or an IE.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "non_academic_day")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub academic_year_id: i64,
    pub date: Date,
    pub scope: crate::vocabulary::DayScope,
    pub ugel_id: Option<i64>,
    pub school_id: Option<i64>,
    pub description: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
