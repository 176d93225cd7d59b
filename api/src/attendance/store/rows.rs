//! What the store and its two backends share: an entry of the history and a section's day as they
//! are about to be written, the size of SQLite's multi-row statements, and how a repeated mark id
//! is told from another error.

use chrono::NaiveDate;
use sea_orm::{DbErr, SqlErr};
use uuid::Uuid;

use entity::{attendance_entry, section_day::Cell};

use crate::error::Result;

/// Rows per statement on SQLite (far from its limit of 32,766 values).
pub(super) const SQLITE_CHUNK: usize = 500;

/// An entry of the history before it is written: one batch's stored marks.
pub struct Entry {
    pub batch_id: Option<Uuid>,
    pub user_id: i64,
    pub device_id: Option<Uuid>,
    pub marks: Vec<attendance_entry::Mark>,
}

/// `false` for a mark id already received; other errors stand.
pub(super) fn unless_received(written: std::result::Result<(), DbErr>) -> Result<bool> {
    match written {
        Ok(()) => Ok(true),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A section's day to write: the version read plus one, and every cell.
pub(super) struct DayWrite {
    pub(super) section_id: i64,
    pub(super) date: NaiveDate,
    pub(super) version: i32,
    pub(super) cells: Vec<Cell>,
}
