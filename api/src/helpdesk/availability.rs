//! Whether a person who works tickets is taking new ones: round-robin assignment passes over
//! those who are away (a person with no row is available). Each person sets its own.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};

use entity::helpdesk_availability;

use super::{access, dto::Availability};
use crate::{
    auth::Principal,
    error::{ApiError, Result},
    record::{AuditAction, Change, Event, record},
};

/// The caller's availability (the help desk's people only).
pub async fn read(db: &DatabaseConnection, p: &Principal) -> Result<Availability> {
    if !access::is_staff(p) {
        return Err(ApiError::forbidden());
    }
    let row = helpdesk_availability::Entity::find_by_id(p.user_id)
        .one(db)
        .await?;
    Ok(view(row))
}

fn view(row: Option<helpdesk_availability::Model>) -> Availability {
    Availability {
        available: row.as_ref().is_none_or(|r| r.available),
        updated_at: row.map(|r| r.updated_at),
    }
}

/// Sets the caller's availability, audited, in one transaction.
pub async fn set(
    db: &DatabaseConnection,
    p: &Principal,
    available: Option<bool>,
    now: DateTime<Utc>,
) -> Result<Availability> {
    if !access::is_staff(p) {
        return Err(ApiError::forbidden());
    }
    let Some(available) = available else {
        return Err(ApiError::field(
            "available",
            "Indique si está disponible (true) o no (false).",
        ));
    };
    let txn = crate::db::begin(db).await?;
    let before = helpdesk_availability::Entity::find_by_id(p.user_id)
        .one(&txn)
        .await?;
    let was = before.as_ref().is_none_or(|r| r.available);
    let row = helpdesk_availability::ActiveModel {
        user_id: Set(p.user_id),
        available: Set(available),
        updated_at: Set(now),
    };
    let saved = match before {
        Some(_) => row.update(&txn).await?,
        None => row.insert(&txn).await?,
    };
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::HelpdeskAvailabilityChanged, p.user_id)
                .by(p.user_id)
                .before(&serde_json::json!({ "available": was }))
                .after(&serde_json::json!({ "available": saved.available })),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(view(Some(saved)))
}
