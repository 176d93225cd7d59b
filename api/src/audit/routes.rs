//! Reading the audit trail: the roles that oversee a unit read what happened in it.

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use entity::{audit_event, ugel};

use crate::error::ErrorCode;
use crate::{
    auth::{Action, AuthUser, Target},
    error::{ApiError, ErrorBody, Result},
    http::{ApiQuery, Page, PageParams},
    registry::repo::school_scope,
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditFilter {
    school_id: Option<i64>,
    ugel_id: Option<i64>,
    dre_id: Option<i64>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// One entry of the trail.
#[derive(Debug, Serialize, ToSchema)]
struct AuditEntry {
    id: i64,
    at: DateTime<Utc>,
    actor_user_id: Option<i64>,
    action: String,
    entity_type: String,
    entity_id: Option<i64>,
    dre_id: Option<i64>,
    ugel_id: Option<i64>,
    school_id: Option<i64>,
    /// JSON of the record before the change.
    before: Option<serde_json::Value>,
    /// JSON of the record after the change.
    after: Option<serde_json::Value>,
}

impl From<audit_event::Model> for AuditEntry {
    fn from(m: audit_event::Model) -> Self {
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Self {
            id: m.id,
            at: m.at,
            actor_user_id: m.actor_user_id,
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            dre_id: m.dre_id,
            ugel_id: m.ugel_id,
            school_id: m.school_id,
            before: json(m.before),
            after: json(m.after),
        }
    }
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
    let mut query = audit_event::Entity::find();
    let target = match (filter.school_id, filter.ugel_id, filter.dre_id) {
        (Some(school_id), None, None) => {
            query = query.filter(audit_event::Column::SchoolId.eq(school_id));
            school_scope(&state.db, school_id).await?.target
        }
        (None, Some(ugel_id), None) => {
            let ugel = ugel::Entity::find_by_id(ugel_id)
                .one(&state.db)
                .await?
                .ok_or_else(|| ApiError::not_found("la UGEL"))?;
            query = query.filter(audit_event::Column::UgelId.eq(ugel_id));
            Target::ugel(ugel.id, ugel.dre_id)
        }
        (None, None, Some(dre_id)) => {
            query = query.filter(audit_event::Column::DreId.eq(dre_id));
            Target::dre(dre_id)
        }
        (None, None, None) => Target::national(),
        _ => {
            return Err(ApiError::because(
                ErrorCode::InvalidQuery,
                "Indique una sola unidad: school_id, ugel_id o dre_id.",
            ));
        }
    };
    p.authorize(Action::ReadAudit, &target)?;
    let params = PageParams {
        page: filter.page,
        per_page: filter.per_page,
    };
    let query = query.order_by_desc(audit_event::Column::Id);
    Ok(Json(Page::fetch(&state.db, query, params).await?))
}
