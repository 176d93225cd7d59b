//! Reading the audit trail within the caller's reach: a unit's events, newest first.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use entity::{audit_event, ugel};

use crate::{
    auth::{
        policy::{Action, Target},
        principal::Principal,
    },
    error::{ApiError, ErrorCode, Result},
    http::{Page, PageParams},
    registry::repo::school_scope,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    pub school_id: Option<i64>,
    pub ugel_id: Option<i64>,
    pub dre_id: Option<i64>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// One entry of the trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
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

/// The events of one unit (an IE, a UGEL, a DRE, or the whole country), one page.
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    filter: AuditFilter,
) -> Result<Page<AuditEntry>> {
    let mut query = audit_event::Entity::find();
    let target = match (filter.school_id, filter.ugel_id, filter.dre_id) {
        (Some(school_id), None, None) => {
            query = query.filter(audit_event::Column::SchoolId.eq(school_id));
            school_scope(db, school_id).await?.target
        }
        (None, Some(ugel_id), None) => {
            let ugel = ugel::Entity::find_by_id(ugel_id)
                .one(db)
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
    Page::fetch(db, query, params).await
}
