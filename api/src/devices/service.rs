//! The tablets of an IE: the list its director reads, and revoking one.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;
use utoipa::ToSchema;

use entity::{device, user_account};

use crate::{
    auth::{
        policy::Action,
        principal::Principal,
        service::{Sessions, revoke_sessions},
    },
    error::{ApiError, Result},
    record::{AuditAction, Change, Event, record},
    registry::repo::school_scope,
    time::now,
};

/// A tablet.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: String,
    pub school_id: Option<i64>,
    pub last_user: Option<String>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub last_sync_at: Option<DateTime<Utc>>,
    /// Marks waiting on the tablet, as it last reported.
    pub pending_marks: Option<i32>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The tablets used in an IE, most recently seen first.
pub async fn list(db: &DatabaseConnection, p: &Principal, id: i64) -> Result<Vec<DeviceView>> {
    let scope = school_scope(db, id).await?;
    p.authorize(Action::ManageDevices, &scope.target)?;
    let rows = device::Entity::find()
        .filter(device::Column::SchoolId.eq(id))
        .find_also_related(user_account::Entity)
        .order_by_desc(device::Column::LastSeenAt)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(d, u)| DeviceView {
            id: d.id,
            school_id: d.school_id,
            last_user: u.map(|u| u.username),
            first_seen_at: d.first_seen_at,
            last_seen_at: d.last_seen_at,
            last_sync_at: d.last_sync_at,
            pending_marks: d.pending_marks,
            revoked_at: d.revoked_at,
        })
        .collect())
}

/// Revokes a tablet: its sessions end and it can no longer log in.
pub async fn revoke(db: &DatabaseConnection, p: &Principal, id: String) -> Result<()> {
    let found = device::Entity::find_by_id(id.clone())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la tableta"))?;
    let school_id = found
        .school_id
        .ok_or_else(|| ApiError::not_found("la tableta"))?;
    let scope = school_scope(db, school_id).await?;
    p.authorize(Action::ManageDevices, &scope.target)?;
    let at = now();
    let txn = crate::db::begin(db).await?;
    let mut active: device::ActiveModel = found.clone().into();
    active.revoked_at = Set(Some(at));
    let updated = active.update(&txn).await?;
    revoke_sessions(&txn, Sessions::Device(&id), at).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::DeviceRevoked, None)
                .by(p.user_id)
                .in_unit(scope.target)
                .before(&found)
                .after(&updated),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
