//! `role_assignment`: a role held by an account in one unit (MINEDU, DRE, UGEL or IE).
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "role_assignment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub role: String,
    pub dre_id: Option<i64>,
    pub ugel_id: Option<i64>,
    pub school_id: Option<i64>,
    pub level: Option<crate::vocabulary::Level>,
    pub active: bool,
    pub starts_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    pub resolution_number: Option<String>,
    pub resolution_date: Option<Date>,
    pub request_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
