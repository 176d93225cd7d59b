//! The rules of sessions: login, refresh-token rotation with reuse detection, logout, password
//! change.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use entity::{device, refresh_token, user_account};

use super::{
    password,
    principal::{Principal, load_principal},
    throttle,
    tokens::{hash_token, random_token},
};
use crate::error::ErrorCode;
use crate::record::{AuditAction, Change, Event, record};
use crate::{
    error::{ApiError, Result},
    state::AppState,
    time::now,
};

/// A new access token and refresh token.
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub principal: Principal,
}

fn invalid_credentials() -> ApiError {
    ApiError::from(ErrorCode::InvalidCredentials)
}

/// 403 for a tablet registered in an IE where the caller has no assignment.
pub fn device_other_school() -> ApiError {
    ApiError::from(ErrorCode::DeviceOtherSchool)
}

fn revoked() -> ApiError {
    ApiError::because(
        ErrorCode::SessionRevoked,
        "Su sesión fue revocada o venció. Inicie sesión nuevamente.",
    )
}

/// What a login is opened for: the API, a tablet (its token then works only from that tablet),
/// or the web console (its token then works only as the console's session cookie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    Api,
    Tablet(Uuid),
    Console,
}

impl Client {
    /// The API's login: bound to the tablet it names, if any.
    pub fn of_device(device_id: Option<Uuid>) -> Self {
        device_id.map_or(Self::Api, Self::Tablet)
    }

    /// What the login's refresh token is bound to (`refresh_token.device_id`).
    fn binding(self) -> Option<String> {
        match self {
            Self::Api => None,
            Self::Tablet(id) => Some(id.to_string()),
            Self::Console => Some(CONSOLE.to_owned()),
        }
    }
}

/// Checks credentials under the failed-login limits and opens a session for `client`, bound to
/// it in the same transaction that writes the login.
pub async fn login(
    state: &AppState,
    username: &str,
    password_text: String,
    client: Client,
    address: IpAddr,
) -> Result<Session> {
    let device_id = match client {
        Client::Tablet(id) => Some(id),
        Client::Api | Client::Console => None,
    };
    let db = &state.db;
    let at = now();
    let username = username.trim().to_lowercase();
    let keys = throttle::Keys::new(&username, &address.to_string());
    throttle::check(db, &keys, at).await?;
    // The attempt is counted before the password is checked, so that parallel attempts cannot
    // all be checked before the first failure is counted.
    throttle::count_attempt(db, &keys, &state.config.auth, at).await?;

    let slot = state.hashing.slot().await?;
    let account = user_account::Entity::find()
        .filter(user_account::Column::Username.eq(&username))
        .one(db)
        .await?;
    let ok = password::verify(
        password_text,
        account.as_ref().map(|a| a.password_hash.clone()),
    )
    .await?;
    drop(slot);
    let Some(account) = account.filter(|_| ok) else {
        throttle::lock_reached(db, &keys, &state.config.auth, at).await?;
        return Err(invalid_credentials());
    };
    throttle::succeeded(db, &keys).await?;
    let principal = load_principal(db, account.id).await?;

    if let Some(device_id) = device_id {
        let known = device::Entity::find_by_id(device_id.to_string())
            .one(db)
            .await?;
        if known.as_ref().is_some_and(|d| d.revoked_at.is_some()) {
            return Err(ApiError::from(ErrorCode::DeviceRevoked));
        }
        if known
            .and_then(|d| d.school_id)
            .is_some_and(|school| !principal.works_in(school))
        {
            return Err(device_other_school());
        }
    }

    let txn = crate::db::begin(db).await?;
    if let Some(device_id) = device_id {
        touch_device(&txn, device_id, &principal, at).await?;
    }
    let family = Uuid::new_v4().to_string();
    let refresh =
        insert_refresh_token(&txn, state, account.id, &family, client.binding(), at).await?;
    txn.commit().await?;

    Ok(Session {
        access_token: state.tokens.issue(account.id, &family, at)?,
        refresh_token: refresh,
        expires_in: state.tokens.access_ttl_secs,
        principal,
    })
}

/// What a login opened by the web console is bound to, in place of a tablet: its token works only
/// as the console's session cookie, never at `/auth/refresh`.
pub const CONSOLE: &str = "consola";

/// Rotates a refresh token. A token already used is a sign of theft: its whole family is revoked.
/// So is a console session's token presented here: it was taken from the browser's cookie.
/// A token bound to a tablet works only from that tablet: presented with another tablet's id, it
/// is taken as stolen and its whole login is revoked.
pub async fn refresh(
    state: &AppState,
    presented: &str,
    device_id: Option<Uuid>,
) -> Result<Session> {
    let db = &state.db;
    let at = now();
    let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(presented)))
        .one(db)
        .await?
    else {
        return Err(revoked());
    };
    if row.revoked_at.is_some() || row.expires_at <= at {
        return Err(revoked());
    }
    if row.device_id.as_deref() == Some(CONSOLE) {
        revoke_family(db, &row.family_id, at).await?;
        tracing::warn!(
            user = row.user_id,
            "a console session's token presented to refresh: session family revoked"
        );
        return Err(revoked());
    }
    if let (Some(bound), Some(from)) = (row.device_id.as_deref(), device_id)
        && bound != from.to_string()
    {
        revoke_family(db, &row.family_id, at).await?;
        tracing::warn!(
            user = row.user_id,
            "refresh token of one tablet presented by another: session family revoked"
        );
        return Err(revoked());
    }
    // Claim the token atomically: of two concurrent uses, exactly one wins.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(at))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        revoke_family(db, &row.family_id, at).await?;
        tracing::warn!(
            user = row.user_id,
            "reuse of a rotated refresh token: session family revoked"
        );
        return Err(revoked());
    }
    let principal = load_principal(db, row.user_id).await?;
    let txn = crate::db::begin(db).await?;
    let refresh = insert_refresh_token(
        &txn,
        state,
        row.user_id,
        &row.family_id,
        row.device_id.clone(),
        at,
    )
    .await?;
    if let Some(device_id) = row
        .device_id
        .as_deref()
        .and_then(|d| Uuid::parse_str(d).ok())
    {
        touch_device(&txn, device_id, &principal, at).await?;
    }
    txn.commit().await?;
    Ok(Session {
        access_token: state.tokens.issue(row.user_id, &row.family_id, at)?,
        refresh_token: refresh,
        expires_in: state.tokens.access_ttl_secs,
        principal,
    })
}

/// Ends the session the refresh token belongs to. Unknown tokens are ignored.
pub async fn logout(db: &DatabaseConnection, presented: &str) -> Result<()> {
    if let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(presented)))
        .one(db)
        .await?
    {
        revoke_family(db, &row.family_id, now()).await?;
    }
    Ok(())
}

/// Checks the caller's current password where a change asks for it (a new password, where
/// recovery links go), counted as a login attempt of its account: a session taken without the
/// password cannot guess it faster than a login could, and a lockout stops both.
pub async fn check_current_password(
    db: &impl ConnectionTrait,
    config: &crate::config::AuthConfig,
    principal: &Principal,
    current: String,
) -> Result<user_account::Model> {
    let at = now();
    let keys = throttle::Keys::new(
        &principal.username,
        &format!("session:{}", principal.user_id),
    );
    throttle::check(db, &keys, at).await?;
    throttle::count_attempt(db, &keys, config, at).await?;
    let account = user_account::Entity::find_by_id(principal.user_id)
        .one(db)
        .await?
        .ok_or_else(revoked)?;
    if !password::verify(current, Some(account.password_hash.clone())).await? {
        throttle::lock_reached(db, &keys, config, at).await?;
        return Err(ApiError::field(
            "current_password",
            "La contraseña actual no es correcta.",
        ));
    }
    throttle::succeeded(db, &keys).await?;
    Ok(account)
}

/// Changes the caller's password after checking the current one; every other session ends.
pub async fn change_password(
    db: &DatabaseConnection,
    config: &crate::config::AuthConfig,
    principal: &Principal,
    current_family: &str,
    current: String,
    new: String,
) -> Result<()> {
    password::check_strength(&new, &principal.username)
        .map_err(|m| ApiError::field("new_password", m))?;
    if new == current {
        return Err(ApiError::field(
            "new_password",
            "La nueva contraseña debe ser distinta de la actual (o de la temporal que recibió).",
        ));
    }
    let account = check_current_password(db, config, principal, current).await?;
    let hash = password::hash(new).await?;
    let at = now();
    let txn = crate::db::begin(db).await?;
    store_password(&txn, account, hash, false, at).await?;
    revoke_sessions(
        &txn,
        Sessions::UserExcept(principal.user_id, current_family),
        at,
    )
    .await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::PasswordChanged, principal.user_id).by(principal.user_id),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Which sessions to end.
pub enum Sessions<'a> {
    /// Every session of an account.
    User(i64),
    /// Every session of an account but the caller's own.
    UserExcept(i64, &'a str),
    /// One login and its rotations.
    Family(&'a str),
    /// Every session opened from a tablet.
    Device(&'a str),
}

/// Ends sessions: their refresh tokens stop working at once.
pub async fn revoke_sessions(
    db: &impl ConnectionTrait,
    which: Sessions<'_>,
    at: DateTime<Utc>,
) -> Result<()> {
    let update = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(at))
        .filter(refresh_token::Column::RevokedAt.is_null());
    let update = match which {
        Sessions::User(user) => update.filter(refresh_token::Column::UserId.eq(user)),
        Sessions::UserExcept(user, family) => update
            .filter(refresh_token::Column::UserId.eq(user))
            .filter(refresh_token::Column::FamilyId.ne(family)),
        Sessions::Family(family) => update.filter(refresh_token::Column::FamilyId.eq(family)),
        Sessions::Device(device) => update.filter(refresh_token::Column::DeviceId.eq(device)),
    };
    update.exec(db).await?;
    Ok(())
}

/// Stores a new password hash; a `temporary` one must be changed at the next login.
pub async fn store_password(
    db: &impl ConnectionTrait,
    account: user_account::Model,
    hash: String,
    temporary: bool,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut active: user_account::ActiveModel = account.into();
    active.password_hash = Set(hash);
    active.must_change_password = Set(temporary);
    active.password_changed_at = Set(at);
    active.update(db).await?;
    Ok(())
}

async fn revoke_family(db: &impl ConnectionTrait, family: &str, at: DateTime<Utc>) -> Result<()> {
    revoke_sessions(db, Sessions::Family(family), at).await
}

async fn insert_refresh_token(
    db: &impl ConnectionTrait,
    state: &AppState,
    user_id: i64,
    family: &str,
    device_id: Option<String>,
    at: DateTime<Utc>,
) -> Result<String> {
    let token = random_token(32);
    refresh_token::ActiveModel {
        token_hash: Set(hash_token(&token)),
        user_id: Set(user_id),
        family_id: Set(family.to_owned()),
        device_id: Set(device_id),
        created_at: Set(at),
        expires_at: Set(at + Duration::days(state.config.auth.refresh_token_ttl_days)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Records that a tablet was used by this caller, in its first IE.
async fn touch_device(
    db: &impl ConnectionTrait,
    id: Uuid,
    principal: &Principal,
    at: DateTime<Utc>,
) -> Result<()> {
    let school_id = principal.assignments.iter().find_map(|a| match a.unit {
        super::policy::Unit::School { school_id, .. } => Some(school_id),
        _ => None,
    });
    match device::Entity::find_by_id(id.to_string()).one(db).await? {
        Some(existing) => {
            let existing_school = existing.school_id;
            let mut active: device::ActiveModel = existing.into();
            active.last_seen_at = Set(at);
            active.last_user_id = Set(Some(principal.user_id));
            if existing_school.is_none() {
                active.school_id = Set(school_id);
            }
            active.update(db).await?;
        }
        None => {
            device::ActiveModel {
                id: Set(id.to_string()),
                school_id: Set(school_id),
                last_user_id: Set(Some(principal.user_id)),
                first_seen_at: Set(at),
                last_seen_at: Set(at),
                last_sync_at: Set(None),
                pending_marks: Set(None),
                revoked_at: Set(None),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}
