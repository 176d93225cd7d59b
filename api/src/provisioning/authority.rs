//! Who decides a request, and so who reads it: the authority of its unit and role (the UGEL's
//! Especialista SIAGIE for an IE's staff, and so on up), counted for lists of many.

use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};

use entity::provisioning_request;

use super::requests::{unit_for, unit_ids};
use crate::{
    auth::{Principal, Role, Target, policy::provisioning_authority},
    error::{ApiError, Result},
};

/// A request the caller filed or decides; any other is not found.
pub async fn visible_request(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> Result<provisioning_request::Model> {
    let request = provisioning_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la solicitud"))?;
    if request.requested_by == p.user_id || is_authority(db, p, &request).await? {
        Ok(request)
    } else {
        Err(ApiError::not_found("la solicitud"))
    }
}

/// The unit a stored request is about.
pub(super) async fn request_target(
    db: &impl ConnectionTrait,
    request: &provisioning_request::Model,
) -> Result<Target> {
    let role = Role::parse(&request.role).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("unknown role in request {}", request.id))
    })?;
    let probe = unit_ids(
        request.dre_id,
        request.ugel_id,
        request.school_id,
        request.level.map(|l| l.code().to_owned()),
    );
    Ok(unit_for(db, role, &probe).await?.target)
}

/// How many of `requests` the caller decides: each request's unit read once per distinct unit
/// (a list of one IE's requests reads a unit per role, not one per request).
pub async fn decided_by(
    db: &impl ConnectionTrait,
    principal: &Principal,
    requests: &[provisioning_request::Model],
) -> Result<usize> {
    type UnitKey = (
        String,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<String>,
    );
    let mut targets: std::collections::HashMap<UnitKey, Target> = Default::default();
    let mut decided = 0;
    for request in requests {
        let Some(role) = Role::parse(&request.role) else {
            continue;
        };
        let key = (
            request.role.clone(),
            request.dre_id,
            request.ugel_id,
            request.school_id,
            request.level.map(|l| l.code().to_owned()),
        );
        let target = match targets.get(&key) {
            Some(target) => *target,
            None => {
                let target = request_target(db, request).await?;
                targets.insert(key, target);
                target
            }
        };
        if principal.holds(provisioning_authority(role), &target) {
            decided += 1;
        }
    }
    Ok(decided)
}

/// Whether the caller decides this request.
pub async fn is_authority(
    db: &impl ConnectionTrait,
    principal: &Principal,
    request: &provisioning_request::Model,
) -> Result<bool> {
    let Some(role) = Role::parse(&request.role) else {
        return Ok(false);
    };
    let target = request_target(db, request).await?;
    Ok(principal.holds(provisioning_authority(role), &target))
}
