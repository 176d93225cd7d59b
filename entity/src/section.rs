//! `section`: sections of a grade in an IE for one academic year.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "section")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub academic_year_id: i64,
    pub grade_id: i64,
    pub name: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::grade::Entity",
        from = "Column::GradeId",
        to = "super::grade::Column::Id"
    )]
    Grade,
}

impl Related<super::grade::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Grade.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
