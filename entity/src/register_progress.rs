//! `register_progress`: how much of a section's monthly register is filled in, kept up to date
//! from the marks, the enrollments and the calendar (`stale` until recomputed).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "register_progress")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub section_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: i16,
    /// Cells due in the month: each academic day, each student enrolled that day.
    pub expected: i32,
    /// Cells due that hold a mark.
    pub filled: i32,
    /// Bit `d - 1` set: day `d` is academic with at least one student due.
    pub due_days: i64,
    /// Bit `d - 1` set: every student due on day `d` has a mark.
    pub complete_days: i64,
    /// Bumped by every change the row depends on.
    pub version: i64,
    /// Changed since it was computed.
    pub stale: bool,
    pub computed_at: DateTimeUtc,
    /// The section's IE, grade and name (a section never moves nor changes its name); empty on
    /// a row marked stale before it was ever computed.
    pub school_id: Option<i64>,
    pub grade_id: Option<i64>,
    pub section_name: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
