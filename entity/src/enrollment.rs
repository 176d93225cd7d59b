//! `enrollment`: enrollments (matrícula): one per student and academic year, in one section.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "enrollment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub student_id: i64,
    pub section_id: i64,
    pub academic_year_id: i64,
    pub starts_on: Date,
    pub status: crate::vocabulary::EnrollmentStatus,
    pub status_date: Option<Date>,
    pub updated_at: DateTimeUtc,
    /// Made after its academic year ended: counts once its section's regularization is approved.
    pub regularization: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::student::Entity",
        from = "Column::StudentId",
        to = "super::student::Column::Id"
    )]
    Student,
}

impl Related<super::student::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Student.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
