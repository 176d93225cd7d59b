//! `student`: students, identified by DNI or, without one, by código de estudiante.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "student")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub dni: Option<String>,
    #[sea_orm(unique)]
    pub student_code: Option<String>,
    pub paternal_surname: String,
    pub maternal_surname: String,
    pub given_names: String,
    pub birth_date: Option<Date>,
    pub sex: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
