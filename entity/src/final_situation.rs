//! `final_situation`: a student's final situation in the acta of a year, as the director recorded
//! it, with the suggestion it was recorded against and the reason when it overrides it.
use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::vocabulary::FinalSituation;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "final_situation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub enrollment_id: i64,
    pub situation: FinalSituation,
    pub suggested: Option<FinalSituation>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub recorded_by: i64,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
