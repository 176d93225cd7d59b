//! The recorded recuperaciones an acta's change leaves without ground: a recuperación answers the
//! acta as it was (the student's situation, the areas it failed), so when an exceptional
//! modification moves either, the result is deleted, and the trail keeps what it held. The
//! director records it again against the acta as it now stands.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use entity::{recovery, recovery_grade};

use super::audit::{AuditAction, Event};
use crate::error::Result;

/// A deleted recuperación, as the trail keeps it.
#[derive(Serialize)]
struct Dropped {
    #[serde(flatten)]
    result: recovery::Model,
    /// (area, grade) of the recuperación.
    grades: Vec<(i64, i16)>,
}

/// Deletes the recuperaciones of `enrollments`, in the caller's transaction; answers the event
/// that records them (none when there were none), following `cause`.
pub(super) async fn drop(
    db: &impl ConnectionTrait,
    enrollments: &[i64],
    cause: &Event,
) -> Result<Option<Event>> {
    if enrollments.is_empty() {
        return Ok(None);
    }
    let results = recovery::Entity::find()
        .filter(recovery::Column::EnrollmentId.is_in(enrollments.iter().copied()))
        .order_by_asc(recovery::Column::EnrollmentId)
        .all(db)
        .await?;
    if results.is_empty() {
        return Ok(None);
    }
    let ids: Vec<i64> = results.iter().map(|r| r.enrollment_id).collect();
    let grades = recovery_grade::Entity::find()
        .filter(recovery_grade::Column::EnrollmentId.is_in(ids.iter().copied()))
        .order_by_asc(recovery_grade::Column::EnrollmentId)
        .order_by_asc(recovery_grade::Column::AreaId)
        .all(db)
        .await?;
    recovery_grade::Entity::delete_many()
        .filter(recovery_grade::Column::EnrollmentId.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    recovery::Entity::delete_many()
        .filter(recovery::Column::EnrollmentId.is_in(ids))
        .exec(db)
        .await?;
    let dropped: Vec<Dropped> = results
        .into_iter()
        .map(|result| Dropped {
            grades: grades
                .iter()
                .filter(|g| g.enrollment_id == result.enrollment_id)
                .map(|g| (g.area_id, g.value))
                .collect(),
            result,
        })
        .collect();
    Ok(Some(
        cause
            .followed_by(AuditAction::RecoveryDropped)
            .before(&dropped),
    ))
}
