//! `regularization`: the approval a section needs for the years it records after its academic
//! year ended to count (one per section; asked again after a rejection).
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "regularization")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub section_id: i64,
    pub school_id: i64,
    pub status: crate::vocabulary::RegularizationStatus,
    pub reason: String,
    /// The supporting document, as its number and issuer read ("R.D. N.° 0045-2027-UGEL-J").
    pub document: String,
    pub requested_by: i64,
    pub requested_at: DateTimeUtc,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
