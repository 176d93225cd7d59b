//! `attendance_day`: the value that stands for a student and day: the latest recorded mark.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "attendance_day")]
pub struct Model {
    /// The key is (section, day, enrollment), the order in which registers are read; an
    /// enrollment belongs to one section, so it is also unique by enrollment and day.
    #[sea_orm(primary_key, auto_increment = false)]
    pub section_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub date: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub enrollment_id: i64,
    pub status: i16,
    /// When the mark was recorded on the device, in microseconds since the Unix epoch (UTC):
    /// an integer compares the same on every database.
    pub recorded_at_us: i64,
    pub mark_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
