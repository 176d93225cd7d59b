//! Where a requested role is held: the unit a request's form names (an IE, a UGEL with a level
//! for the Especialista del nivel, a DRE, MINEDU), checked to exist.

use sea_orm::{ConnectionTrait, EntityTrait};

use entity::{school, ugel};

use super::dto::NewRequestForm;
use crate::{
    auth::{Role, Target, policy::UnitKind},
    domain::Level,
    error::{ApiError, Result},
    registry::school_scope,
};

/// A form carrying only the ids of a unit, to look the unit up.
pub(super) fn unit_ids(
    dre_id: Option<i64>,
    ugel_id: Option<i64>,
    school_id: Option<i64>,
    level: Option<String>,
) -> NewRequestForm {
    NewRequestForm {
        dre_id,
        ugel_id,
        school_id,
        level,
        ..Default::default()
    }
}

/// Where a role is held, checked to exist.
pub(super) struct UnitRef {
    pub(super) dre_id: Option<i64>,
    pub(super) ugel_id: Option<i64>,
    pub(super) school: Option<school::Model>,
    pub(super) level: Option<Level>,
    pub(super) target: Target,
}

pub(super) async fn unit_for(
    db: &impl ConnectionTrait,
    role: Role,
    form: &NewRequestForm,
) -> Result<UnitRef> {
    let missing =
        |field: &str, what: &str| ApiError::field(field, format!("Indique {what} del cargo."));
    match role.unit_kind() {
        UnitKind::Minedu => Ok(UnitRef {
            dre_id: None,
            ugel_id: None,
            school: None,
            level: None,
            target: Target::national(),
        }),
        UnitKind::Dre => {
            let dre_id = form.dre_id.ok_or_else(|| missing("dre_id", "la DRE"))?;
            entity::dre::Entity::find_by_id(dre_id)
                .one(db)
                .await?
                .ok_or_else(|| ApiError::field("dre_id", "La DRE no existe."))?;
            Ok(UnitRef {
                dre_id: Some(dre_id),
                ugel_id: None,
                school: None,
                level: None,
                target: Target::dre(dre_id),
            })
        }
        UnitKind::Ugel => {
            let ugel_id = form.ugel_id.ok_or_else(|| missing("ugel_id", "la UGEL"))?;
            let ugel = ugel::Entity::find_by_id(ugel_id)
                .one(db)
                .await?
                .ok_or_else(|| ApiError::field("ugel_id", "La UGEL no existe."))?;
            // A form's level left empty is no level, as when it is not sent.
            let level = match (role, form.level.as_deref().filter(|l| !l.trim().is_empty())) {
                (Role::LevelSpecialist, Some(level)) => {
                    Some(Level::parse(level).map_err(|m| ApiError::field("level", m))?)
                }
                (Role::LevelSpecialist, None) => {
                    return Err(missing("level", "el nivel educativo"));
                }
                _ => None,
            };
            Ok(UnitRef {
                dre_id: None,
                ugel_id: Some(ugel_id),
                school: None,
                level,
                target: Target::ugel(ugel.id, ugel.dre_id),
            })
        }
        UnitKind::School => {
            let school_id = form
                .school_id
                .ok_or_else(|| missing("school_id", "la IE"))?;
            let scope = school_scope(db, school_id)
                .await
                .map_err(|_| ApiError::field("school_id", "La IE no existe."))?;
            Ok(UnitRef {
                dre_id: None,
                ugel_id: None,
                target: scope.target,
                school: Some(scope.school),
                level: None,
            })
        }
    }
}
