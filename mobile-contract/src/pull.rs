//! `GET /api/v1/sync/pull`: what the tablet needs to work offline.

use chrono::{DateTime, FixedOffset, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A full snapshot (`full: true`) or the changes since a cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PullResponse {
    /// Opaque; send it back as `since` next time.
    pub cursor: String,
    pub full: bool,
    pub sections: Vec<SyncSection>,
    pub students: Vec<SyncStudent>,
    pub calendar: Vec<CalendarDay>,
    pub registers: Vec<RegisterState>,
    pub removed: Vec<Removed>,
}

/// A section the caller takes attendance in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SyncSection {
    pub id: String,
    pub school_id: String,
    /// e.g. `Primer grado`.
    pub grade: String,
    /// e.g. `A`, `ÚNICA`.
    pub name: String,
    pub academic_year: i32,
}

/// A student enrolled in a section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SyncStudent {
    pub id: String,
    pub section_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dni: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub student_code: Option<String>,
    pub paternal_surname: String,
    pub maternal_surname: String,
    pub given_names: String,
    pub enrollment_start: NaiveDate,
    /// `activo`, `trasladado`, `retirado` or `fallecido`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_date: Option<NaiveDate>,
}

/// A non-academic day that applies to the IE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub description: String,
    /// `weekend`, `national`, `ugel` or `school`.
    pub scope: String,
}

/// The state of a section's monthly register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RegisterState {
    pub section_id: String,
    pub year: i32,
    pub month: u32,
    /// `sin_datos`, `parcial`, `completo` or `cerrado`.
    pub state: String,
    /// Set while an exceptional modification is open: until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modification_open_until: Option<DateTime<FixedOffset>>,
}

/// Something the tablet should drop from its lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Removed {
    /// `section` (no longer assigned) or `student` (transferred out, withdrawn or deceased).
    pub kind: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_id: Option<String>,
}
