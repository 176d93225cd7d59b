//! Reading the audit trail: the roles that oversee a unit read what happened in it.

use axum::{Json, extract::State};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::trail::{self, AuditEntry, AuditFilter};
use crate::{
    auth::AuthUser,
    error::{ErrorBody, Result},
    http::{ApiQuery, Page},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// The audit trail of one unit (an IE, a UGEL or a DRE; without one, the whole country for the
/// MINEDU roles), newest first. Events of an IE appear in its UGEL's and DRE's trails too.
#[utoipa::path(get, path = "/audit", tag = "audit", security(("bearer" = [])), params(AuditFilter),
    responses((status = 200, body = Page<AuditEntry>), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(filter): ApiQuery<AuditFilter>,
) -> Result<Json<Page<AuditEntry>>> {
    Ok(Json(trail::list(&state.db, &p, filter).await?))
}
