//! A closed acta does not change by the side door: a new enrollment in its section, or a student's
//! enrollment ending or coming back, would change who the acta lists.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use entity::acta;

use crate::error::{ApiError, ErrorCode, Result};

/// 409 `acta_closed` when the section's acta is closed and no exceptional modification is enabled
/// for it at `at`.
pub async fn refuse_if_acta_closed(
    db: &impl ConnectionTrait,
    section_id: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    let closed = acta::Entity::find()
        .filter(acta::Column::SectionId.eq(section_id))
        .filter(acta::Column::ClosedAt.is_not_null())
        .filter(
            Condition::any()
                .add(acta::Column::ModificationUntil.is_null())
                .add(acta::Column::ModificationUntil.lte(at)),
        )
        .one(db)
        .await?;
    match closed {
        Some(_) => Err(ApiError::because(
            ErrorCode::ActaClosed,
            "El acta de evaluación de la sección está cerrada: la matrícula no cambia sin una modificación excepcional habilitada por la UGEL.",
        )),
        None => Ok(()),
    }
}
