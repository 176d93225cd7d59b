//! Who may issue an IE's certificates: its director, and the staff of the IE the director
//! granted the right to.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::certificate_issuer;

use crate::{
    auth::{policy::Action, principal::Principal},
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
