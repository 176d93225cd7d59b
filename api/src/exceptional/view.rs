//! A request as its routes answer it: what every kind shows ([`ModificationRequestView`]), to
//! which each kind adds what names its record.

use chrono::{DateTime, Utc};
use sea_orm::ActiveEnum;
use serde::Serialize;
use utoipa::ToSchema;

use entity::{exceptional_modification as modification, school, section};

/// A request with the record, section, IE and grade it is about, as views and e-mails read it.
pub struct About<'a, R> {
    pub modification: &'a modification::Model,
    pub record: &'a R,
    pub school: &'a school::Model,
    pub section: &'a section::Model,
    pub grade: &'a str,
    /// The year of the section's academic year.
    pub year: i32,
    /// In the answer to a step: who takes the next one.
    pub next_step_by: Option<String>,
}

impl<R> About<'_, R> {
    /// The IE's código modular and anexo, `0412345-0`.
    pub fn school_code(&self) -> String {
        format!("{}-{}", self.school.codigo_modular, self.school.anexo)
    }

    /// What every kind's view shows of the request.
    pub fn request(&self) -> ModificationRequestView {
        let m = self.modification;
        ModificationRequestView {
            id: m.id,
            status: m.status.to_value(),
            reason: m.reason.clone(),
            requested_at: m.requested_at,
            favorable: m.favorable,
            opinion_note: m.opinion_note.clone(),
            opinion_at: m.opinion_at,
            enabled_until: m.enabled_until,
            school_id: self.school.id,
            school_code: self.school_code(),
            school_name: self.school.name.clone(),
            section_id: self.section.id,
            grade: self.grade.to_owned(),
            section: self.section.name.clone(),
            next_step_by: self.next_step_by.clone(),
        }
    }
}

/// An exceptional modification request, whatever record it reopens.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModificationRequestView {
    pub id: i64,
    /// `requested`, `favorable`, `unfavorable`, `enabled` or `closed`.
    pub status: String,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    pub favorable: Option<bool>,
    pub opinion_note: Option<String>,
    pub opinion_at: Option<DateTime<Utc>>,
    /// The deadline of the enabled modification.
    pub enabled_until: Option<DateTime<Utc>>,
    pub school_id: i64,
    /// Código modular and anexo, `0412345-0`.
    pub school_code: String,
    pub school_name: String,
    pub section_id: i64,
    pub grade: String,
    pub section: String,
    /// In the answer to a step: who takes the next one (the UGEL, or the unit above where the
    /// UGEL has nobody in that role).
    pub next_step_by: Option<String>,
}
