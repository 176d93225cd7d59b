//! Who decides a request, and so who reads it: the authority of its unit and role (an IE's
//! director for its staff; the UGEL's Especialista SIAGIE for a director, or the unit above
//! where the UGEL has none; the MINEDU administrator for the roles of a DRE, a UGEL or MINEDU),
//! counted for lists of many.

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait};

use entity::{person, provisioning_request, role_assignment};

use super::units::{unit_for, unit_ids};
use crate::{
    auth::{Principal, Role, Target, policy::provisioning_authority},
    error::{ApiError, Result},
    exceptional::{Stage, deciders, decides_at, people_holding},
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
        if decides(db, principal, role, &target).await? {
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
    decides(db, principal, role, &target).await
}

/// The stage that decides the requests for a director of an IE of `target`, and the people
/// active there: the UGEL's Especialista SIAGIE, the DRE's where the UGEL has none, MINEDU's
/// (or the administrator) where neither has one, so that no request waits where nobody decides.
async fn director_deciders(
    db: &impl ConnectionTrait,
    target: &Target,
) -> Result<(Stage, Vec<person::Model>)> {
    deciders(db, provisioning_authority(Role::Director), None, target).await
}

/// Whether the caller decides requests for `role` in `target`.
async fn decides(
    db: &impl ConnectionTrait,
    principal: &Principal,
    role: Role,
    target: &Target,
) -> Result<bool> {
    let authority = provisioning_authority(role);
    if principal.holds(authority, target) {
        return Ok(true);
    }
    let above = [
        Role::DreSpecialist,
        Role::MineduSpecialist,
        Role::MineduAdmin,
    ];
    if role != Role::Director || !above.iter().any(|r| principal.holds(*r, target)) {
        return Ok(false);
    }
    let (stage, _) = director_deciders(db, target).await?;
    Ok(decides_at(principal, stage, authority, target))
}

/// The people who decide requests for `role` in `target`, to be told of a new one, and for a
/// director's, the stage they are at.
pub(super) async fn deciders_of(
    db: &impl ConnectionTrait,
    role: Role,
    target: &Target,
) -> Result<(Option<Stage>, Vec<person::Model>)> {
    let authority = provisioning_authority(role);
    if role == Role::Director {
        let (stage, people) = director_deciders(db, target).await?;
        return Ok((Some(stage), people));
    }
    let mut holders = Condition::all().add(role_assignment::Column::Role.eq(authority.code()));
    if authority == Role::Director {
        holders = holders.add(role_assignment::Column::SchoolId.eq(target.school_id));
    }
    Ok((None, people_holding(db, holders).await?))
}
