//! `POST /api/v1/sync/push`: attendance marks recorded offline.

use chrono::{DateTime, FixedOffset, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

/// A batch of marks from one tablet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct PushRequest {
    /// Always 1 for this contract.
    #[validate(range(min = 1, max = 1, message = "La versión del contrato debe ser 1."))]
    pub contract_version: u32,
    pub device_id: Uuid,
    /// Chosen by the tablet; sending the same batch again is harmless.
    pub batch_id: Uuid,
    #[validate(
        length(max = 1000, message = "Un lote admite hasta 1000 marcas."),
        nested
    )]
    pub marks: Vec<Mark>,
    /// Marks still waiting on the tablet after this batch (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<u32>,
}

/// One attendance mark: a student's status on a day, as recorded on the tablet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, JsonSchema)]
pub struct Mark {
    pub mark_id: Uuid,
    pub section_id: String,
    pub student_id: String,
    /// `YYYY-MM-DD`, Lima local date.
    pub date: NaiveDate,
    /// One of [`AttendanceStatus`]; any other value is rejected per mark with `invalid_status`.
    pub status: String,
    /// When the teacher recorded it, RFC 3339 with offset.
    pub recorded_at: DateTime<FixedOffset>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 200, message = "La nota admite hasta 200 caracteres."))]
    pub note: Option<String>,
}

/// The attendance codes of the monthly register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceStatus {
    /// `.` asistió
    Asistio,
    /// `F` faltó
    Falta,
    /// `T` tardanza
    Tardanza,
    /// `J` falta justificada
    FaltaJustificada,
    /// `U` tardanza justificada
    TardanzaJustificada,
}

impl AttendanceStatus {
    pub const ALL: [AttendanceStatus; 5] = [
        Self::Asistio,
        Self::Falta,
        Self::Tardanza,
        Self::FaltaJustificada,
        Self::TardanzaJustificada,
    ];

    /// The machine code of the contract.
    pub fn code(self) -> &'static str {
        match self {
            Self::Asistio => "asistio",
            Self::Falta => "falta",
            Self::Tardanza => "tardanza",
            Self::FaltaJustificada => "falta_justificada",
            Self::TardanzaJustificada => "tardanza_justificada",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The symbol printed in the register (docs/domain.md §3).
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Asistio => ".",
            Self::Falta => "F",
            Self::Tardanza => "T",
            Self::FaltaJustificada => "J",
            Self::TardanzaJustificada => "U",
        }
    }

    /// The Spanish name in the register's legend.
    pub fn label(self) -> &'static str {
        match self {
            Self::Asistio => "Asistió",
            Self::Falta => "Faltó",
            Self::Tardanza => "Tardanza",
            Self::FaltaJustificada => "Falta justificada",
            Self::TardanzaJustificada => "Tardanza justificada",
        }
    }
}

/// The server's answer to a push: one result per mark, in the same order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PushResponse {
    pub batch_id: Uuid,
    pub server_time: DateTime<FixedOffset>,
    pub results: Vec<MarkResult>,
}

/// What happened to one mark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MarkResult {
    pub mark_id: Uuid,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<RejectionCode>,
    /// Spanish text for the teacher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The outcome of a mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stored; it is now the value of that student and day.
    Accepted,
    /// This `mark_id` was already stored with the same content: nothing changed.
    Duplicate,
    /// Valid and kept in the history, but a later mark for the same student and day stands.
    Superseded,
    /// The month's register is closed: kept for the director's review, not applied.
    Held,
    /// Not stored; `code` says why.
    Rejected,
}

/// Why a mark was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectionCode {
    StudentNotEnrolled,
    SectionNotAssigned,
    DateInFuture,
    OutsideAcademicYear,
    NonAcademicDay,
    InvalidStatus,
    RecordedAtInFuture,
    MarkIdReused,
    InvalidNote,
}

impl RejectionCode {
    /// The Spanish explanation sent with the code.
    pub fn message(self) -> &'static str {
        match self {
            Self::StudentNotEnrolled => {
                "El estudiante no está matriculado en esa sección en esa fecha."
            }
            Self::SectionNotAssigned => "La sección no está asignada a su usuario.",
            Self::DateInFuture => "La fecha es posterior a hoy.",
            Self::OutsideAcademicYear => "La fecha está fuera del año académico.",
            Self::NonAcademicDay => "La fecha es un día no académico.",
            Self::InvalidStatus => "El código de asistencia no es válido.",
            Self::RecordedAtInFuture => {
                "La hora de registro está adelantada respecto del servidor."
            }
            Self::MarkIdReused => "El identificador de la marca ya se usó con otro contenido.",
            Self::InvalidNote => "La nota contiene caracteres de control no permitidos.",
        }
    }
}
