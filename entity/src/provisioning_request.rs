//! `provisioning_request`: requests to create (alta) or end (baja) a role assignment, and their decision.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "provisioning_request")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: crate::vocabulary::RequestKind,
    pub role: String,
    pub dre_id: Option<i64>,
    pub ugel_id: Option<i64>,
    pub school_id: Option<i64>,
    pub level: Option<crate::vocabulary::Level>,
    pub dni: String,
    pub paternal_surname: Option<String>,
    pub maternal_surname: Option<String>,
    pub given_names: Option<String>,
    pub email: Option<String>,
    pub cell_phone: Option<String>,
    pub assignment_id: Option<i64>,
    pub resolution_number: Option<String>,
    pub resolution_date: Option<Date>,
    pub resolution_file: Option<String>,
    pub resolution_file_name: Option<String>,
    pub resolution_sha256: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub status: crate::vocabulary::RequestStatus,
    pub requested_by: i64,
    pub requested_at: DateTimeUtc,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub decision_reason: Option<String>,
    pub result_user_id: Option<i64>,
    pub result_assignment_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
