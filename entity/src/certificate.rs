//! `certificate`: an issued study certificate, its signed bytes and its status.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Whether a certificate stands (`certificate.status`).
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
pub enum CertificateStatus {
    /// Vigente.
    #[sea_orm(string_value = "valid")]
    Valid,
    /// Anulado, with a reason.
    #[sea_orm(string_value = "annulled")]
    Annulled,
    /// Reemplazado by a corrected certificate.
    #[sea_orm(string_value = "superseded")]
    Superseded,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "certificate")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub virtual_code: String,
    pub request_id: i64,
    pub school_id: i64,
    pub student_id: i64,
    pub status: CertificateStatus,
    /// The level it certifies: a student holds one valid certificate per level.
    pub level: crate::vocabulary::Level,
    /// Why it stopped being valid, as a category the status list publishes (`status_category`).
    pub status_category: Option<String>,
    /// Why it stopped being valid, in the issuer's words (never published in the status list).
    pub annul_reason: Option<String>,
    pub status_changed_at: Option<DateTimeUtc>,
    pub superseded_by: Option<i64>,
    pub supersedes: Option<i64>,
    pub issued_by: i64,
    pub issued_at: DateTimeUtc,
    pub last_year: Option<i32>,
    /// The student's full name as a search key (no case, no accents).
    pub search_name: String,
    pub student_document: String,
    /// The COSE_Sign1 the QR carries.
    #[serde(skip)]
    pub cose: Vec<u8>,
    /// SHA-256 of `cose`, in hexadecimal.
    pub sha256: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
