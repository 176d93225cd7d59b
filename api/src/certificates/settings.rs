//! The director's configuration of Mi Certificado (§4): the constancia de logros de aprendizaje
//! and public requests enabled or not for the IE, and the staff allowed to issue certificates.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use entity::{certificate_issuer, certificate_setting, role_assignment, user_account};

use crate::{
    auth::{policy::Action, principal::Principal},
    error::{ApiError, Result},
    record::{AuditAction, Change, Event, record},
    registry::repo::{SchoolScope, school_scope},
    time::now,
};

/// What an IE offers of Mi Certificado.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Settings {
    /// The "constancia de logros de aprendizaje" is offered for the IE.
    pub constancia_enabled: bool,
    /// The public may send certificate requests to the IE.
    pub public_requests_enabled: bool,
}

/// Defaults for an IE whose director has not chosen: both offered.
const DEFAULTS: Settings = Settings {
    constancia_enabled: true,
    public_requests_enabled: true,
};

/// A staff member allowed to issue certificates.
#[derive(Debug, Serialize, ToSchema)]
pub struct Issuer {
    pub user_id: i64,
    pub username: String,
    pub granted_at: DateTime<Utc>,
}

/// A grant of the right to issue.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Grant {
    pub user_id: i64,
}

async fn configurable(
    db: &impl ConnectionTrait,
    p: &Principal,
    school_id: i64,
) -> Result<SchoolScope> {
    let scope = school_scope(db, school_id).await?;
    p.authorize(Action::ConfigureCertificates, &scope.target)?;
    Ok(scope)
}

async fn stored(db: &impl ConnectionTrait, school_id: i64) -> Result<Settings> {
    Ok(certificate_setting::Entity::find_by_id(school_id)
        .one(db)
        .await?
        .map_or(DEFAULTS, |s| Settings {
            constancia_enabled: s.constancia_enabled,
            public_requests_enabled: s.public_requests_enabled,
        }))
}

/// Whether the public may send requests to the IE.
pub async fn public_requests_enabled(db: &impl ConnectionTrait, school_id: i64) -> Result<bool> {
    Ok(stored(db, school_id).await?.public_requests_enabled)
}

/// The IE's settings.
pub async fn read(db: &DatabaseConnection, p: &Principal, school_id: i64) -> Result<Settings> {
    configurable(db, p, school_id).await?;
    stored(db, school_id).await
}

/// Sets the IE's settings (audited).
pub async fn write(
    db: &DatabaseConnection,
    p: &Principal,
    school_id: i64,
    settings: Settings,
) -> Result<Settings> {
    let scope = configurable(db, p, school_id).await?;
    let txn = crate::db::begin(db).await?;
    let before = stored(&txn, school_id).await?;
    let row = certificate_setting::ActiveModel {
        school_id: Set(school_id),
        constancia_enabled: Set(settings.constancia_enabled),
        public_requests_enabled: Set(settings.public_requests_enabled),
        updated_by: Set(Some(p.user_id)),
        updated_at: Set(now()),
    };
    if certificate_setting::Entity::find_by_id(school_id)
        .one(&txn)
        .await?
        .is_some()
    {
        row.update(&txn).await?;
    } else {
        row.insert(&txn).await?;
    }
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::CertificateSettingsChanged, school_id)
                .by(p.user_id)
                .in_unit(scope.target)
                .before(&before)
                .after(&settings),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(settings)
}

/// The staff allowed to issue the IE's certificates.
pub async fn issuers(
    db: &DatabaseConnection,
    p: &Principal,
    school_id: i64,
) -> Result<Vec<Issuer>> {
    configurable(db, p, school_id).await?;
    let rows = certificate_issuer::Entity::find()
        .filter(certificate_issuer::Column::SchoolId.eq(school_id))
        .filter(certificate_issuer::Column::RevokedAt.is_null())
        .order_by_asc(certificate_issuer::Column::GrantedAt)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let username = user_account::Entity::find_by_id(row.user_id)
            .one(db)
            .await?
            .map(|u| u.username)
            .unwrap_or_default();
        out.push(Issuer {
            user_id: row.user_id,
            username,
            granted_at: row.granted_at,
        });
    }
    Ok(out)
}

/// Lets a staff member of the IE (an account with an active role there) issue certificates.
pub async fn grant(
    db: &DatabaseConnection,
    p: &Principal,
    school_id: i64,
    grant: Grant,
) -> Result<Vec<Issuer>> {
    let scope = configurable(db, p, school_id).await?;
    let works_there = role_assignment::Entity::find()
        .filter(role_assignment::Column::UserId.eq(grant.user_id))
        .filter(role_assignment::Column::SchoolId.eq(school_id))
        .filter(role_assignment::Column::Active.eq(true))
        .one(db)
        .await?
        .is_some();
    if !works_there {
        return Err(ApiError::field(
            "user_id",
            "La cuenta no tiene un cargo activo en esta IE.",
        ));
    }
    let txn = crate::db::begin(db).await?;
    let existing = certificate_issuer::Entity::find()
        .filter(certificate_issuer::Column::SchoolId.eq(school_id))
        .filter(certificate_issuer::Column::UserId.eq(grant.user_id))
        .one(&txn)
        .await?;
    let at = now();
    let row = match existing {
        Some(row) => {
            let mut active: certificate_issuer::ActiveModel = row.into();
            active.revoked_at = Set(None);
            active.granted_by = Set(p.user_id);
            active.granted_at = Set(at);
            active.update(&txn).await?
        }
        None => {
            certificate_issuer::ActiveModel {
                school_id: Set(school_id),
                user_id: Set(grant.user_id),
                granted_by: Set(p.user_id),
                granted_at: Set(at),
                revoked_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::CertificateIssuerGranted, row.id)
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&serde_json::json!({"user_id": grant.user_id})),
        ),
    )
    .await?;
    txn.commit().await?;
    issuers(db, p, school_id).await
}

/// Takes the right to issue away from a staff member.
pub async fn revoke(
    db: &DatabaseConnection,
    p: &Principal,
    school_id: i64,
    user_id: i64,
) -> Result<()> {
    let scope = configurable(db, p, school_id).await?;
    let txn = crate::db::begin(db).await?;
    let row = certificate_issuer::Entity::find()
        .filter(certificate_issuer::Column::SchoolId.eq(school_id))
        .filter(certificate_issuer::Column::UserId.eq(user_id))
        .filter(certificate_issuer::Column::RevokedAt.is_null())
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("el permiso de emisión"))?;
    let id = row.id;
    let mut active: certificate_issuer::ActiveModel = row.into();
    active.revoked_at = Set(Some(now()));
    active.update(&txn).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::CertificateIssuerRevoked, id)
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&serde_json::json!({"user_id": user_id})),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
