//! `exceptional_modification`: exceptional modification requests of a closed record, a month's
//! attendance register or a section's acta de evaluación. A request is known by its kind and its
//! number within the kind (`/register-modifications/{id}`, `/acta-modifications/{id}`).
use sea_orm::entity::prelude::*;
use serde::Serialize;

/// Serialised (in the audit trail) as the request of its kind, without the kind itself (the
/// event names it) nor the other kind's record.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "exceptional_modification")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    #[serde(skip)]
    pub kind: crate::vocabulary::ModificationKind,
    /// The request's number within its kind (from `exceptional_modification_counter`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    /// The register reopened, for a request of kind `register`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register_id: Option<i64>,
    /// The acta reopened, for a request of kind `acta`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acta_id: Option<i64>,
    pub status: crate::vocabulary::ModificationStatus,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub requested_by: i64,
    pub requested_at: DateTimeUtc,
    pub opinion_by: Option<i64>,
    pub opinion_at: Option<DateTimeUtc>,
    pub favorable: Option<bool>,
    #[sea_orm(column_type = "Text", nullable)]
    pub opinion_note: Option<String>,
    pub enabled_by: Option<i64>,
    pub enabled_at: Option<DateTimeUtc>,
    pub enabled_until: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
