//! Failed-login limits per account and per address, kept in the database so that every server
//! instance sees the same counts.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, IntoActiveModel};

use entity::login_throttle;

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
            return Err(ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!(
                    "Demasiados intentos fallidos. Intente nuevamente en {} minuto(s).",
                    seconds.div_ceil(60)
                ),
            )
            .with_retry_after(seconds));
        }
    }
    Ok(())
}

/// Counts a failure against both keys, locking a key that reaches its limit.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    keys: &Keys,
    config: &AuthConfig,
    now: DateTime<Utc>,
) -> Result<()> {
    let limits = [
        (&keys.account, config.max_failed_logins),
        (&keys.address, config.max_failed_logins_per_address),
    ];
    for (key, limit) in limits {
        let window = Duration::seconds(config.failure_window_secs);
        match login_throttle::Entity::find_by_id(key.clone())
            .one(db)
            .await?
        {
            Some(row) => {
                let fresh = row.window_started_at + window < now
                    || row.locked_until.is_some_and(|until| until <= now);
                let failures = if fresh { 1 } else { row.failures + 1 };
                let mut active = row.into_active_model();
                if fresh {
                    active.window_started_at = Set(now);
                    active.locked_until = Set(None);
                }
                active.failures = Set(failures);
                if failures >= limit {
                    active.locked_until = Set(Some(now + Duration::seconds(config.lockout_secs)));
                }
                active.update(db).await?;
            }
            None => {
                login_throttle::ActiveModel {
                    key: Set(key.clone()),
                    failures: Set(1),
                    window_started_at: Set(now),
                    locked_until: Set(
                        (limit <= 1).then(|| now + Duration::seconds(config.lockout_secs))
                    ),
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(())
}

/// Forgets the account's failures after a successful login.
pub async fn clear(db: &impl ConnectionTrait, keys: &Keys) -> Result<()> {
    login_throttle::Entity::delete_by_id(keys.account.clone())
        .exec(db)
        .await?;
    Ok(())
}
