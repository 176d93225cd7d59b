//! The exceptional modification of a closed acta (docs/domain.md §7; `crate::exceptional`):
//! what a section's acta of a year brings to the workflow: its path, who asks (the director who
//! keeps actas), its deadline (`modification_until`), its words and its year in e-mails.

use sea_orm::{ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use entity::{acta, vocabulary::ModificationKind};

use super::sheet::kept_by;
use crate::{
    auth::principal::Principal,
    error::{ApiError, ErrorCode, Result},
    exceptional::{About, Actions, ModificationRequestView, Reopenable},
    links::Links,
    record::{AuditAction, Change, Event},
    registry::repo::SectionScope,
};

/// An exceptional modification request of an acta, with the section it is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActaModificationView {
    #[serde(flatten)]
    pub request: ModificationRequestView,
    pub acta_id: i64,
    pub year: i32,
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
        ActaModificationView {
            request: about.request(),
            acta_id: about.record.id,
            year: about.year,
        }
    }

    fn named(about: &About<'_, acta::Model>) -> (&'static str, serde_json::Value) {
        ("year", about.year.into())
    }

    /// Only the trail keeps it: tablets do not carry actas.
    fn change(_: &SectionScope, _: &acta::Model, event: Event) -> Change<'static> {
        Change::Acta {
            event,
            outdated: &[],
        }
    }

    /// The students whose recuperación is to be recorded (the modification may have deleted a
    /// result its changes left without ground), with the acta's form where it is recorded.
    async fn left_to_do(
        db: &DatabaseTransaction,
        acta: &acta::Model,
        links: Links<'_>,
    ) -> Result<Option<(&'static str, serde_json::Value)>> {
        let students = super::recovery::left_to_record(db, acta.section_id).await?;
        Ok((students > 0).then(|| {
            (
                "recoveries",
                serde_json::json!({"students": students, "link": recovery_form(acta.section_id, links)}),
            )
        }))
    }
}

/// The acta's recuperación form, as an e-mail links to it.
fn recovery_form(section_id: i64, links: Links<'_>) -> String {
    links.full(&format!(
        "{}#recuperacion",
        crate::links::acta_path(section_id)
    ))
}

/// Tells the director who asked for the acta's modification that a change under it deleted the
/// recorded recuperación of `students` students: how many, and the form where it is recorded
/// again once their final situation is confirmed. In the change's transaction.
pub async fn tell_dropped_recoveries(
    db: &DatabaseTransaction,
    links: Links<'_>,
    acta_id: i64,
    scope: &SectionScope,
    students: usize,
) -> Result<()> {
    let dropped = serde_json::json!({
        "students": students,
        "link": recovery_form(scope.section.id, links),
    });
    crate::exceptional::tell_dropped::<ActaModification>(
        db,
        links,
        acta_id,
        scope,
        ("dropped", dropped),
    )
    .await
}
