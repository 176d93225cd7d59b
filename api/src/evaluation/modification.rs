//! The exceptional modification of a closed acta (docs/domain.md §7; `crate::exceptional`):
//! what a section's acta of a year brings to the workflow: its path, who asks (the director who
//! keeps actas), its deadline (`modification_until`), its words and its year in e-mails.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use entity::{acta, vocabulary::ModificationKind};

use super::closure::kept_by;
use crate::{
    auth::principal::Principal,
    error::{ApiError, ErrorCode, Result},
    exceptional::{About, Actions, Reopenable},
    record::{AuditAction, Change, Event},
    registry::repo::SectionScope,
};

/// An exceptional modification request of an acta, with the section it is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActaModificationView {
    pub id: i64,
    pub acta_id: i64,
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
    /// In the answer to a step: who takes the next one (the UGEL, or the unit above where the
    /// UGEL has nobody in that role).
    pub next_step_by: Option<String>,
}

/// The modification of a section's acta, named in its path by the section.
pub struct ActaModification;

impl Reopenable for ActaModification {
    const KIND: ModificationKind = ModificationKind::Acta;
    type Entity = acta::Entity;
    type Record = acta::Model;
    const ID: acta::Column = acta::Column::Id;
    const SECTION: acta::Column = acta::Column::SectionId;
    const UNTIL: acta::Column = acta::Column::ModificationUntil;
    type Key = i64;
    type View = ActaModificationView;
    const NOT_FOUND: &'static str = "la solicitud de modificación del acta";
    const TEMPLATE: &'static str = "acta_modification";
    const OUTBOX_KEY: &'static str = "acta-modification";
    const ACTIONS: Actions = Actions {
        requested: AuditAction::ActaModificationRequested,
        opinion: AuditAction::ActaModificationOpinion,
        enabled: AuditAction::ActaModificationEnabled,
        expired: AuditAction::ActaModificationExpired,
    };

    async fn reached(
        db: &DatabaseConnection,
        p: &Principal,
        section_id: i64,
    ) -> Result<SectionScope> {
        kept_by(db, p, section_id).await
    }

    async fn closed(db: &DatabaseConnection, section_id: i64) -> Result<acta::Model> {
        acta::Entity::find()
            .filter(acta::Column::SectionId.eq(section_id))
            .one(db)
            .await?
            .filter(|a| a.closed_at.is_some())
            .ok_or_else(|| ApiError::from(ErrorCode::ActaNotClosed))
    }

    fn pending() -> ApiError {
        ApiError::because(
            ErrorCode::ModificationPending,
            "Ya hay una solicitud de modificación en curso para esta acta.",
        )
    }

    fn id(acta: &acta::Model) -> i64 {
        acta.id
    }

    fn section_id(acta: &acta::Model) -> i64 {
        acta.section_id
    }

    fn view(about: About<'_, acta::Model>) -> ActaModificationView {
        let m = about.modification;
        ActaModificationView {
            id: m.id,
            acta_id: about.record.id,
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
            year: about.year,
            next_step_by: about.next_step_by,
        }
    }

    fn named(about: &About<'_, acta::Model>) -> (&'static str, serde_json::Value) {
        ("year", about.year.into())
    }

    /// Only the trail keeps it: tablets do not carry actas.
    fn change(_: &SectionScope, _: &acta::Model, event: Event) -> Change<'static> {
        Change::Audited(event)
    }
}
