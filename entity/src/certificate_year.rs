//! `certificate_year`: a school year typed in by the issuer of a request (a year without a
//! closed acta in the system), with its areas' grades as JSON.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "certificate_year")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: i64,
    pub year: i32,
    pub grade: String,
    pub level: crate::vocabulary::Level,
    pub codigo_modular: String,
    /// Whether the código modular was found in the registry.
    pub registered: bool,
    pub school_name: Option<String>,
    pub situation: String,
    pub areas: String,
    pub entered_by: i64,
    pub entered_by_name: String,
    pub entered_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
