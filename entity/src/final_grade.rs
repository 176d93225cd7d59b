//! `final_grade`: a student's final grade in a curricular area, for the enrollment of one year.
//! The value is a small number on the area's scale: 0 to 20 (vigesimal), or 1 to 4 for C, B, A
//! and AD (literal). Who entered it and when is in the audit trail.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "final_grade")]
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
