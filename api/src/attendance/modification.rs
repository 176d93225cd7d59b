//! The exceptional modification of a closed register (`crate::exceptional`): what a month's
//! register brings to the workflow: its path, who asks (the director who closes registers), its
//! deadline (`modification_until`), its words and its month in e-mails, and what tablets learn
//! when it opens and closes again.

use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;

use entity::{attendance_register, vocabulary::ModificationKind};

use super::{cells::register_row, scope::in_reach};
use crate::{
    auth::{policy::Action, principal::Principal},
    error::{ApiError, ErrorCode, Result},
    exceptional::{About, Actions, ModificationRequestView, Reopenable},
    record::{AuditAction, Change, Event},
    registry::repo::SectionScope,
};

/// An exceptional modification request, with the register it is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModificationView {
    #[serde(flatten)]
    pub request: ModificationRequestView,
    pub register_id: i64,
    pub year: i32,
    pub month: i16,
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
        ModificationView {
            request: about.request(),
            register_id: about.record.id,
            year: about.record.year,
            month: about.record.month,
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
