//! The tablets of an IE: the director lists them and revokes a lost or stolen one, which ends its
//! sessions.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use entity::{device, user_account};

use crate::{
    auth::{
        Action, AuthUser,
        service::{Sessions, revoke_sessions},
    },
    error::{ApiError, ErrorBody, Result},
    http::ApiPath,
    record::{AuditAction, Change, Event, record},
    registry::school_scope,
    state::AppState,
    time::now,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(revoke))
}

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

/// Tablets used in an IE (its director).
#[utoipa::path(get, path = "/schools/{id}/devices", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = Vec<DeviceView>), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<DeviceView>>> {
    let scope = school_scope(&state.db, id).await?;
    p.authorize(Action::ManageDevices, &scope.target)?;
    let rows = device::Entity::find()
        .filter(device::Column::SchoolId.eq(id))
        .find_also_related(user_account::Entity)
        .order_by_desc(device::Column::LastSeenAt)
        .all(&state.db)
        .await?;
    Ok(Json(
        rows.into_iter()
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
            .collect(),
    ))
}

/// Revoke a tablet: its refresh tokens stop working and it can no longer log in.
#[utoipa::path(post, path = "/devices/{id}/revoke", params(("id" = String, Path, description = "Identificador del recurso")), tag = "audit", security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode> {
    let found = device::Entity::find_by_id(id.clone())
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("la tableta"))?;
    let school_id = found
        .school_id
        .ok_or_else(|| ApiError::not_found("la tableta"))?;
    let scope = school_scope(&state.db, school_id).await?;
    p.authorize(Action::ManageDevices, &scope.target)?;
    let at = now();
    let txn = crate::db::begin(&state.db).await?;
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
    Ok(StatusCode::NO_CONTENT)
}
