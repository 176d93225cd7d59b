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
    exceptional::{Stage, deciders_but, decides_at, people_holding},
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
        if decides(db, principal, role, &target, &request.dni).await? {
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
    decides(db, principal, role, &target, &request.dni).await
}

/// Who decides a request for `role` in `target` about the person of DNI `dni`, and the people
/// active there.
enum Deciders {
    /// The IE's director, for its staff.
    School(Vec<person::Model>),
    /// A unit above the IE, for its director, or for its staff where the director is the
    /// person the request is about.
    Above(Stage, Vec<person::Model>),
    /// The MINEDU administrator, for the roles of a DRE, a UGEL or MINEDU.
    Administrator(Vec<person::Model>),
}

/// Where a request waits: an IE's staff with its director; a director with the UGEL's
/// Especialista SIAGIE, the DRE's where the UGEL has none, MINEDU's (or the administrator) where
/// neither has one; the roles above with the administrator. Nobody decides about itself: a stage
/// whose only holder is the request's person passes to the one above, so that no request waits
/// where nobody may decide it.
async fn deciders_for(
    db: &impl ConnectionTrait,
    role: Role,
    target: &Target,
    dni: &str,
) -> Result<Deciders> {
    match provisioning_authority(role) {
        Role::Director => {
            let mut directors = people_holding(
                db,
                Condition::all()
                    .add(role_assignment::Column::Role.eq(Role::Director.code()))
                    .add(role_assignment::Column::SchoolId.eq(target.school_id)),
            )
            .await?;
            directors.retain(|p| p.dni != dni);
            if !directors.is_empty() {
                return Ok(Deciders::School(directors));
            }
        }
        Role::UgelSpecialist => {}
        authority => {
            let holders = Condition::all().add(role_assignment::Column::Role.eq(authority.code()));
            return Ok(Deciders::Administrator(people_holding(db, holders).await?));
        }
    }
    let (stage, people) = deciders_but(db, Role::UgelSpecialist, None, target, Some(dni)).await?;
    Ok(Deciders::Above(stage, people))
}

/// Whether the caller decides requests for `role` in `target` about the person of DNI `dni`.
async fn decides(
    db: &impl ConnectionTrait,
    principal: &Principal,
    role: Role,
    target: &Target,
    dni: &str,
) -> Result<bool> {
    let may = [
        Role::Director,
        Role::UgelSpecialist,
        Role::DreSpecialist,
        Role::MineduSpecialist,
        Role::MineduAdmin,
    ];
    if !may.iter().any(|r| principal.holds(*r, target)) {
        return Ok(false);
    }
    Ok(match deciders_for(db, role, target, dni).await? {
        Deciders::School(_) => principal.holds(Role::Director, target),
        Deciders::Above(stage, _) => decides_at(principal, stage, Role::UgelSpecialist, target),
        Deciders::Administrator(_) => principal.holds(Role::MineduAdmin, target),
    })
}

/// The people who decide a request for `role` in `target` about the person of DNI `dni`, to be
/// told of it, and the stage they are at when it passed above the IE.
pub(super) async fn deciders_of(
    db: &impl ConnectionTrait,
    role: Role,
    target: &Target,
    dni: &str,
) -> Result<(Option<Stage>, Vec<person::Model>)> {
    Ok(match deciders_for(db, role, target, dni).await? {
        Deciders::School(people) | Deciders::Administrator(people) => (None, people),
        Deciders::Above(stage, people) => (Some(stage), people),
    })
}
