//! Who may issue an IE's certificates: its director, and the staff of the IE the director
//! granted the right to.

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use entity::{certificate_issuer, person, role_assignment, user_account};

use crate::{
    auth::{
        policy::{Action, Role},
        principal::Principal,
    },
    error::{ApiError, Result},
    registry::repo::{SchoolScope, school_scope},
};

/// The IE, when the caller may issue its certificates; 403 otherwise (404 for no such IE).
pub async fn issuer(
    db: &impl ConnectionTrait,
    p: &Principal,
    school_id: i64,
) -> Result<SchoolScope> {
    let scope = school_scope(db, school_id).await?;
    if p.can(Action::IssueCertificates, &scope.target) {
        return Ok(scope);
    }
    if p.works_in(school_id) && granted(db, school_id, p.user_id).await? {
        return Ok(scope);
    }
    Err(ApiError::forbidden())
}

/// Whether an account holds an unrevoked grant to issue in the IE.
pub async fn granted(db: &impl ConnectionTrait, school_id: i64, user_id: i64) -> Result<bool> {
    Ok(certificate_issuer::Entity::find()
        .filter(certificate_issuer::Column::SchoolId.eq(school_id))
        .filter(certificate_issuer::Column::UserId.eq(user_id))
        .filter(certificate_issuer::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .is_some())
}

/// The people who issue the IE's certificates and have an e-mail: its active director and the
/// staff granted the right.
pub async fn issuers_to_tell(
    db: &impl ConnectionTrait,
    school_id: i64,
) -> Result<Vec<person::Model>> {
    let directors = role_assignment::Entity::find()
        .filter(role_assignment::Column::Active.eq(true))
        .filter(role_assignment::Column::Role.eq(Role::Director.code()))
        .filter(role_assignment::Column::SchoolId.eq(school_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.user_id);
    let granted = certificate_issuer::Entity::find()
        .filter(certificate_issuer::Column::SchoolId.eq(school_id))
        .filter(certificate_issuer::Column::RevokedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.user_id);
    let users: Vec<i64> = directors.chain(granted).collect();
    let accounts = user_account::Entity::find()
        .filter(user_account::Column::Id.is_in(users))
        .all(db)
        .await?;
    Ok(person::Entity::find()
        .filter(
            Condition::all()
                .add(person::Column::Id.is_in(accounts.iter().map(|a| a.person_id)))
                .add(person::Column::Email.is_not_null()),
        )
        .all(db)
        .await?)
}
