//! The exceptional modification of a closed register (`crate::exceptional`): what a month's
//! register brings to the workflow: its path, who asks (the director who closes registers), its
//! deadline (`modification_until`), its words and its month in e-mails, and what tablets learn
//! when it opens and closes again.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveEnum, DatabaseConnection};
use serde::Serialize;
use utoipa::ToSchema;

use entity::{attendance_register, vocabulary::ModificationKind};

use super::{cells::register_row, scope::in_reach};
use crate::{
    auth::{policy::Action, principal::Principal},
    error::{ApiError, ErrorCode, Result},
    exceptional::{About, Actions, Reopenable},
    record::{AuditAction, Change, Event},
    registry::repo::SectionScope,
};

/// An exceptional modification request, with the register it is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModificationView {
    pub id: i64,
    pub register_id: i64,
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
    pub year: i32,
    pub month: i16,
    /// In the answer to a step: who takes the next one (the UGEL, or the unit above where the
    /// UGEL has nobody in that role).
    pub next_step_by: Option<String>,
}

/// The modification of a month's register, named in its path by section, year and month.
pub struct RegisterModification;

impl Reopenable for RegisterModification {
    const KIND: ModificationKind = ModificationKind::Register;
    type Entity = attendance_register::Entity;
    type Record = attendance_register::Model;
    const ID: attendance_register::Column = attendance_register::Column::Id;
    const SECTION: attendance_register::Column = attendance_register::Column::SectionId;
    const UNTIL: attendance_register::Column = attendance_register::Column::ModificationUntil;
    type Key = (i64, i32, u32);
    type View = ModificationView;
    const NOT_FOUND: &'static str = "la solicitud de modificación";
    const TEMPLATE: &'static str = "register_modification";
    const OUTBOX_KEY: &'static str = "register-modification";
    const ACTIONS: Actions = Actions {
        requested: AuditAction::RegisterModificationRequested,
        opinion: AuditAction::RegisterModificationOpinion,
        enabled: AuditAction::RegisterModificationEnabled,
        expired: AuditAction::RegisterModificationExpired,
    };

    async fn reached(
        db: &DatabaseConnection,
        p: &Principal,
        (section_id, _, _): Self::Key,
    ) -> Result<SectionScope> {
        Ok(in_reach(db, p, section_id, Action::CloseRegister).await?.0)
    }

    async fn closed(
        db: &DatabaseConnection,
        (section_id, year, month): Self::Key,
    ) -> Result<attendance_register::Model> {
        register_row(db, section_id, year, month)
            .await?
            .filter(|r| r.closed_at.is_some())
            .ok_or_else(|| ApiError::from(ErrorCode::RegisterNotClosed))
    }

    fn pending() -> ApiError {
        ApiError::from(ErrorCode::ModificationPending)
    }

    fn id(register: &attendance_register::Model) -> i64 {
        register.id
    }

    fn section_id(register: &attendance_register::Model) -> i64 {
        register.section_id
    }

    fn view(about: About<'_, attendance_register::Model>) -> ModificationView {
        let m = about.modification;
        ModificationView {
            id: m.id,
            register_id: about.record.id,
            status: m.status.to_value(),
            reason: m.reason.clone(),
            requested_at: m.requested_at,
            favorable: m.favorable,
            opinion_note: m.opinion_note.clone(),
            opinion_at: m.opinion_at,
            enabled_until: m.enabled_until,
            school_id: about.school.id,
            school_code: about.school_code(),
            school_name: about.school.name.clone(),
            section_id: about.section.id,
            grade: about.grade.to_owned(),
            section: about.section.name.clone(),
            year: about.record.year,
            month: about.record.month,
            next_step_by: about.next_step_by,
        }
    }

    fn named(about: &About<'_, attendance_register::Model>) -> (&'static str, serde_json::Value) {
        let register = about.record;
        let month = super::pdf::month_name(register.month as u32);
        ("month", format!("{month} de {}", register.year).into())
    }

    /// The register opened or closed again: tablets learn it like any other closure.
    fn change(
        scope: &SectionScope,
        register: &attendance_register::Model,
        event: Event,
    ) -> Change<'static> {
        Change::RegisterState {
            school_id: scope.school.id,
            section_id: register.section_id,
            register_id: register.id,
            event,
        }
    }
}
