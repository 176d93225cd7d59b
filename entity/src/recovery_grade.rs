//! `recovery_grade`: the grade a student obtained in the recuperación of an area it failed, on the
//! area's scale (as `final_grade` stores it). The acta's grade stays as it was closed.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "recovery_grade")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub enrollment_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub area_id: i64,
    pub value: i16,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
