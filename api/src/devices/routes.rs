//! HTTP surface of the tablets of an IE.

use axum::{Json, extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::service::{self, DeviceView};
use crate::{
    auth::AuthUser,
    error::{ErrorBody, Result},
    http::ApiPath,
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(revoke))
}

/// Tablets used in an IE (its director).
#[utoipa::path(get, path = "/schools/{id}/devices", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = Vec<DeviceView>), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<DeviceView>>> {
    Ok(Json(service::list(&state.db, &p, id).await?))
}

/// Revoke a tablet: its refresh tokens stop working and it can no longer log in.
#[utoipa::path(post, path = "/devices/{id}/revoke", params(("id" = String, Path, description = "Identificador del recurso")), tag = "audit", security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode> {
    service::revoke(&state.db, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
