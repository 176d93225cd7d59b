//! Failed-login limits per account and per address, kept in the database so that every server
//! instance sees the same counts.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};

use entity::login_throttle;

use crate::error::ErrorCode;
use crate::{
    config::AuthConfig,
    error::{ApiError, Result},
};

/// The throttle keys of one login attempt.
pub struct Keys {
    pub account: String,
    pub address: String,
}

impl Keys {
    pub fn new(username: &str, address: &str) -> Self {
        Self {
            account: format!("account:{}", username.to_lowercase()),
            address: format!("address:{address}"),
        }
    }
}

/// 429 when either key is locked.
pub async fn check(db: &impl ConnectionTrait, keys: &Keys, now: DateTime<Utc>) -> Result<()> {
    for key in [&keys.account, &keys.address] {
        if let Some(row) = login_throttle::Entity::find_by_id(key.clone())
            .one(db)
            .await?
            && let Some(until) = row.locked_until
            && until > now
        {
            let seconds = (until - now).num_seconds().max(1) as u64;
            return Err(ApiError::because(
                ErrorCode::TooManyAttempts,
                format!(
                    "Demasiados intentos fallidos. Intente nuevamente en {}.",
                    minutes(seconds.div_ceil(60))
                ),
            )
            .with_retry_after(seconds));
        }
    }
    Ok(())
}

/// Counts an attempt against both keys before its password is checked, and answers 429 once a
/// key is past its limit. Each step is one atomic statement, so parallel attempts are all
/// counted and at most the limit of them is ever checked.
pub async fn count_attempt(
    db: &impl ConnectionTrait,
    keys: &Keys,
    config: &AuthConfig,
    now: DateTime<Utc>,
) -> Result<()> {
    for (key, limit) in limits(keys, config) {
        // A window that ended, or a lockout that expired, starts the count again.
        login_throttle::Entity::update_many()
            .col_expr(login_throttle::Column::Failures, Expr::value(0))
            .col_expr(login_throttle::Column::WindowStartedAt, Expr::value(now))
            .col_expr(
                login_throttle::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(login_throttle::Column::Key.eq(key.as_str()))
            .filter(
                Condition::any()
                    .add(
                        login_throttle::Column::WindowStartedAt
                            .lt(now - Duration::seconds(config.failure_window_secs)),
                    )
                    .add(login_throttle::Column::LockedUntil.lte(now)),
            )
            .exec(db)
            .await?;
        login_throttle::Entity::insert(login_throttle::ActiveModel {
            key: Set(key.clone()),
            failures: Set(1),
            window_started_at: Set(now),
            locked_until: Set(None),
        })
        .on_conflict(
            OnConflict::column(login_throttle::Column::Key)
                .value(
                    login_throttle::Column::Failures,
                    Expr::cust("login_throttle.failures + 1"),
                )
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        let counted = login_throttle::Entity::find_by_id(key.clone())
            .one(db)
            .await?
            .map_or(0, |row| row.failures);
        if counted > limit {
            lock(db, key, limit, config, now).await?;
            check(db, keys, now).await?;
        }
    }
    Ok(())
}

/// After a wrong password: a key whose count reached its limit is locked.
pub async fn lock_reached(
    db: &impl ConnectionTrait,
    keys: &Keys,
    config: &AuthConfig,
    now: DateTime<Utc>,
) -> Result<()> {
    for (key, limit) in limits(keys, config) {
        lock(db, key, limit, config, now).await?;
    }
    Ok(())
}

fn limits<'a>(keys: &'a Keys, config: &AuthConfig) -> [(&'a String, i32); 2] {
    [
        (&keys.account, config.max_failed_logins),
        (&keys.address, config.max_failed_logins_per_address),
    ]
}

async fn lock(
    db: &impl ConnectionTrait,
    key: &str,
    limit: i32,
    config: &AuthConfig,
    now: DateTime<Utc>,
) -> Result<()> {
    login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::LockedUntil,
            Expr::value(now + Duration::seconds(config.lockout_secs)),
        )
        .filter(login_throttle::Column::Key.eq(key))
        .filter(login_throttle::Column::Failures.gte(limit))
        .filter(login_throttle::Column::LockedUntil.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// After a password set with an e-mailed link: the account's failures and lockout are forgotten.
pub async fn forget_account(db: &impl ConnectionTrait, username: &str) -> Result<()> {
    login_throttle::Entity::delete_by_id(Keys::new(username, "").account)
        .exec(db)
        .await?;
    Ok(())
}

/// After a right password: the account's count is forgotten, and the attempt no longer counts
/// against the address (many people sign in from one school's address).
pub async fn succeeded(db: &impl ConnectionTrait, keys: &Keys) -> Result<()> {
    login_throttle::Entity::delete_by_id(keys.account.clone())
        .exec(db)
        .await?;
    login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Failures,
            Expr::cust("login_throttle.failures - 1"),
        )
        .filter(login_throttle::Column::Key.eq(keys.address.as_str()))
        .filter(login_throttle::Column::Failures.gt(0))
        .filter(login_throttle::Column::LockedUntil.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// "1 minuto", "15 minutos".
fn minutes(n: u64) -> String {
    if n == 1 {
        "1 minuto".into()
    } else {
        format!("{n} minutos")
    }
}
