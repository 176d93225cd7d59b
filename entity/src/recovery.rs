//! `recovery`: the result of a student's recuperación pedagógica after a closed acta left it
//! *requiere recuperación*: the situation it leads to (promovido or permanece), the one its grades
//! suggested, the reason when they differ, and who recorded it. Its grades are in
//! `recovery_grade`.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::vocabulary::FinalSituation;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "recovery")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub enrollment_id: i64,
    pub situation: FinalSituation,
    pub suggested: FinalSituation,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub recorded_by: i64,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
