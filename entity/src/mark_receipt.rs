//! `mark_receipt`: every mark id received, and the history entry that holds the mark. The one
//! per-mark row of the history: it makes a mark id unique across the country, so a mark sent
//! again is known for a duplicate (or a reused id) whatever batch brings it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mark_receipt")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub mark_id: Uuid,
    /// The `attendance_entry` that holds the mark.
    pub entry_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
