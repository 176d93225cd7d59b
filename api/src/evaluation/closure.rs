//! The director keeps the acta: records each student's final situation (the suggestion of the
//! grades, or another with a reason) and closes the acta once it is complete.

use std::collections::HashSet;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, sea_query::OnConflict,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use entity::{
    acta, final_situation,
    vocabulary::{EnrollmentStatus, FinalSituation, ModificationKind},
};

use super::{
    modification::tell_dropped_recoveries,
    sheet::{ActaView, GradeError, Sheet, kept_by, lock},
};
use crate::{
    auth::principal::Principal,
    error::{ApiError, ErrorCode, Result},
    links::Links,
    record::{AuditAction, Change, Event, record},
    time::now,
};

/// One student's final situation.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SituationInput {
    pub enrollment_id: i64,
    /// `promovido`, `requiere_recuperacion` or `permanece`; the suggestion of the grades when
    /// left out.
    pub situation: Option<FinalSituation>,
    /// Required when the situation differs from the suggestion (at least 10 letters or digits,
    /// up to 500 characters).
    pub reason: Option<String>,
}

/// `PUT /sections/{id}/acta/situations` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SituationsInput {
    pub situations: Vec<SituationInput>,
}

/// A situation to record, as the audit trail keeps it.
#[derive(Debug, Serialize)]
struct Recorded {
    enrollment_id: i64,
    situation: FinalSituation,
    suggested: FinalSituation,
    reason: Option<String>,
}

/// `POST /sections/{id}/acta/close` answer when something is missing.
#[derive(Debug, Serialize, ToSchema)]
pub struct Incomplete {
    pub students: Vec<super::sheet::Missing>,
}

/// Records final situations: each active student's must be the suggestion of its complete grades,
/// or another one with a reason. All or none.
pub async fn record_situations(
    db: &DatabaseConnection,
    links: Links<'_>,
    p: &Principal,
    section_id: i64,
    input: SituationsInput,
) -> Result<ActaView> {
    let scope = kept_by(db, p, section_id).await?;
    if input.situations.len() > 200 {
        return Err(ApiError::field(
            "situations",
            "Envíe hasta 200 situaciones por solicitud.",
        ));
    }
    let at = now();
    let txn = crate::db::begin(db).await?;
    let acta = lock(&txn, section_id).await?;
    let target = scope.target;
    let sheet = Sheet::load(&txn, scope).await?;
    sheet.ensure_writable(at)?;

    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (index, item) in input.situations.iter().enumerate() {
        let mut fail = |field: &str, message: String| {
            errors.push(GradeError {
                index,
                field: field.into(),
                message,
            })
        };
        let enrollment = match sheet.named_once(item.enrollment_id, &mut seen) {
            Ok(enrollment) => enrollment,
            Err(message) => {
                fail("enrollment_id", message);
                continue;
            }
        };
        if enrollment.status != EnrollmentStatus::Activo {
            fail(
                "enrollment_id",
                "La situación final de un estudiante trasladado o retirado es la de su matrícula."
                    .into(),
            );
            continue;
        }
        let Some(suggested) = sheet.suggestion(enrollment.id) else {
            fail(
                "situation",
                "Faltan calificaciones: registre todas las áreas antes de la situación final."
                    .into(),
            );
            continue;
        };
        let situation = item.situation.unwrap_or(suggested);
        if !matches!(
            situation,
            FinalSituation::Promovido
                | FinalSituation::RequiereRecuperacion
                | FinalSituation::Permanece
        ) {
            fail(
                "situation",
                "La situación de un estudiante activo es promovido, requiere_recuperacion o permanece."
                    .into(),
            );
            continue;
        }
        let reason = item
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        if situation != suggested && !reason.is_some_and(|r| crate::domain::argued(r, 500)) {
            fail(
                "reason",
                format!(
                    "Las calificaciones sugieren «{}»: sustente otra situación ({}).",
                    suggested.code(),
                    crate::domain::argument_rule(500)
                ),
            );
            continue;
        }
        rows.push(Recorded {
            enrollment_id: enrollment.id,
            situation,
            suggested,
            reason: (situation != suggested)
                .then(|| reason.map(str::to_owned))
                .flatten(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::from(ErrorCode::ValidationFailed)
            .with_details(serde_json::json!({ "situations": errors })));
    }
    if !rows.is_empty() {
        let before: Vec<&final_situation::Model> = rows
            .iter()
            .filter_map(|r| sheet.situations.get(&r.enrollment_id))
            .collect();
        final_situation::Entity::insert_many(rows.iter().map(|r| final_situation::ActiveModel {
            enrollment_id: Set(r.enrollment_id),
            situation: Set(r.situation),
            suggested: Set(Some(r.suggested)),
            reason: Set(r.reason.clone()),
            recorded_by: Set(p.user_id),
            recorded_at: Set(at),
        }))
        .on_conflict(
            OnConflict::column(final_situation::Column::EnrollmentId)
                .update_columns([
                    final_situation::Column::Situation,
                    final_situation::Column::Suggested,
                    final_situation::Column::Reason,
                    final_situation::Column::RecordedBy,
                    final_situation::Column::RecordedAt,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
        let outdated = sheet.outdated_recoveries(
            |e, area| sheet.grades.get(&(e, area)).copied(),
            |e| match rows.iter().find(|r| r.enrollment_id == e) {
                Some(r) => Some(r.situation),
                None => sheet.situations.get(&e).map(|s| s.situation),
            },
        );
        record(
            &txn,
            Change::Acta {
                event: Event::new(AuditAction::FinalSituationsRecorded, acta.id)
                    .by(p.user_id)
                    .in_unit(target)
                    .before(&before)
                    .after(&rows),
                outdated: &outdated,
            },
        )
        .await?;
        if !outdated.is_empty() {
            tell_dropped_recoveries(&txn, links, acta.id, &sheet.scope, outdated.len()).await?;
        }
    }
    let sheet = Sheet::load(&txn, sheet.scope).await?;
    txn.commit().await?;
    Ok(sheet.view(at))
}

/// Closes the acta (the director): every active student has a grade in every area and a final
/// situation, or 409 `acta_incomplete` lists what is missing. Closing an acta under an exceptional
/// modification ends the modification.
pub async fn close(db: &DatabaseConnection, p: &Principal, section_id: i64) -> Result<ActaView> {
    let scope = kept_by(db, p, section_id).await?;
    let at = now();
    let txn = crate::db::begin(db).await?;
    let acta = lock(&txn, section_id).await?;
    let target = scope.target;
    let sheet = Sheet::load(&txn, scope).await?;
    sheet.ensure_writable(at)?;
    let missing = sheet.missing();
    if !missing.is_empty() {
        let count = missing.len();
        return Err(ApiError::because(
            ErrorCode::ActaIncomplete,
            format!(
                "El acta no está completa: {} sin todas sus calificaciones o sin situación final.",
                if count == 1 {
                    "1 estudiante".to_owned()
                } else {
                    format!("{count} estudiantes")
                }
            ),
        )
        .with_details(serde_json::json!(Incomplete { students: missing })));
    }
    let before = acta.clone();
    let mut active: acta::ActiveModel = acta.into();
    active.closed_at = Set(Some(at));
    active.closed_by = Set(Some(p.user_id));
    active.modification_until = Set(None);
    let closed = active.update(&txn).await?;
    crate::exceptional::close_open(&txn, ModificationKind::Acta, closed.id, at).await?;
    record(
        &txn,
        Change::Acta {
            event: Event::new(AuditAction::ActaClosed, closed.id)
                .by(p.user_id)
                .in_unit(target)
                .before(&before)
                .after(&closed),
            outdated: &[],
        },
    )
    .await?;
    let mut sheet = sheet;
    sheet.acta = Some(closed);
    txn.commit().await?;
    Ok(sheet.view(at))
}
