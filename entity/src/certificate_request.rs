//! `certificate_request`: a request for a study certificate, saved by the IE or sent by the
//! public, until it is issued or rejected.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a request stands (`certificate_request.status`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "issued")]
    Issued,
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

/// Who filed a request (`certificate_request.origin`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RequestOrigin {
    /// The IE, by direct issuance.
    #[sea_orm(string_value = "direct")]
    Direct,
    /// A guardian or an adult former student, through the public form.
    #[sea_orm(string_value = "public")]
    Public,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "certificate_request")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub school_id: i64,
    pub student_id: i64,
    pub status: RequestStatus,
    pub origin: RequestOrigin,
    pub guardian_dni: Option<String>,
    pub guardian_names: Option<String>,
    pub guardian_relationship: Option<String>,
    pub guardian_contact: Option<String>,
    pub additional_info: Option<String>,
    pub requester_email: Option<String>,
    pub requester_phone: Option<String>,
    pub purpose: Option<String>,
    /// The observations to print, as JSON.
    pub observations: String,
    pub last_year: Option<i32>,
    pub search_name: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub reject_reason: Option<String>,
    pub certificate_id: Option<i64>,
    #[serde(skip)]
    pub download_token_hash: Option<String>,
    pub download_used_at: Option<DateTimeUtc>,
    /// The number a public request is acknowledged with (`SC-7KQ4M2XP`).
    pub number: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
