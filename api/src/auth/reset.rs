//! Self-service password recovery: a single-use, expiring link sent by e-mail.

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr,
};

use entity::{password_reset_token, person, user_account};

use super::{
    password,
    service::{Sessions, revoke_sessions, store_password},
    tokens::{hash_token, random_token},
};
use crate::error::ErrorCode;
use crate::{
    error::{ApiError, Result},
    record::{AuditAction, Change, Event, record},
    state::AppState,
    time::{LIMA, now},
};

/// Sends a reset link to the account's e-mail, if its owner confirmed it (`email::recoverable`):
/// an address typed by whoever registered the person does not open its account. The answer never
/// tells whether the account exists or has an address; a second request within a minute sends
/// nothing new.
pub async fn request(state: &AppState, username: &str) -> Result<()> {
    let db = &state.db;
    let at = now();
    let username = username.trim().to_lowercase();
    let Some(account) = user_account::Entity::find()
        .filter(user_account::Column::Username.eq(&username))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let Some(holder) = person::Entity::find_by_id(account.person_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let Some(email) = super::email::recoverable(db, &holder).await? else {
        return Ok(());
    };
    if !claim_minute(db, account.id, at).await? {
        return Ok(());
    }
    let txn = crate::db::begin(db).await?;
    send_link(
        &txn,
        &state.config.auth,
        &account,
        (&holder.given_names, &email),
        false,
        at,
    )
    .await?;
    record(
        &txn,
        Change::Audited(Event::new(AuditAction::PasswordResetRequested, account.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Claims the account's one reset link a minute, in one statement: of requests at once, one
/// claims it (the row is kept with the login throttles, which every instance shares).
async fn claim_minute(
    db: &impl sea_orm::ConnectionTrait,
    user_id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    use entity::login_throttle::{ActiveModel, Column, Entity};
    use sea_orm::sea_query::{ExprTrait, OnConflict};
    let claimed = Entity::insert(ActiveModel {
        key: Set(format!("reset:{user_id}")),
        failures: Set(0),
        window_started_at: Set(at),
        locked_until: Set(None),
    })
    .on_conflict(
        OnConflict::column(Column::Key)
            .update_column(Column::WindowStartedAt)
            .action_and_where(
                Expr::col((Entity, Column::WindowStartedAt)).lt(at - Duration::minutes(1)),
            )
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(claimed == 1)
}

/// Writes a single-use link to set the account's password, and its e-mail to the outbox, in the
/// caller's transaction: a reset asked for, or the first password of a `new_account`.
pub async fn send_link(
    db: &impl sea_orm::ConnectionTrait,
    config: &crate::config::AuthConfig,
    account: &user_account::Model,
    (name, email): (&str, &str),
    new_account: bool,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let token = random_token(32);
    let expires = at + Duration::minutes(config.reset_link_ttl_mins);
    let link = format!(
        "{}/restablecer-contrasena?token={token}",
        config.public_base_url.trim_end_matches('/')
    );
    let mail = jobs::templates::Mail::new(
        "password_reset",
        &jobs::templates::context! {
            name => name,
            link => link,
            expires => expires.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string(),
            new_account => new_account,
            username => account.username.clone(),
        },
    )
    .map_err(ApiError::Internal)?;
    password_reset_token::ActiveModel {
        token_hash: Set(hash_token(&token)),
        user_id: Set(account.id),
        created_at: Set(at),
        expires_at: Set(expires),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    record(db, Change::Mail(vec![(email.to_owned(), mail, None)])).await
}

/// Sets a new password with a link's token; the token is spent and every session ends.
pub async fn confirm(state: &AppState, token: &str, new_password: String) -> Result<()> {
    password::check_strength(&new_password, "").map_err(|m| ApiError::field("new_password", m))?;
    let db = &state.db;
    let at = now();
    let invalid = || ApiError::from(ErrorCode::InvalidResetToken);
    let row = password_reset_token::Entity::find()
        .filter(password_reset_token::Column::TokenHash.eq(hash_token(token)))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    if row.used_at.is_some() || row.expires_at <= at {
        return Err(invalid());
    }
    let holder = user_account::Entity::find_by_id(row.user_id)
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    password::check_strength(&new_password, &holder.username)
        .map_err(|m| ApiError::field("new_password", m))?;
    let hash = password::hash(new_password).await?;
    let txn = crate::db::begin(db).await?;
    // Spend the token atomically: a link works once even under concurrent use.
    let spent = password_reset_token::Entity::update_many()
        .col_expr(password_reset_token::Column::UsedAt, Expr::value(at))
        .filter(password_reset_token::Column::UserId.eq(row.user_id))
        .filter(password_reset_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected == 0 {
        return Err(invalid());
    }
    let account = user_account::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    // The owner proved itself by its link: failed logins before no longer lock it out.
    super::throttle::forget_account(&txn, &account.username).await?;
    store_password(&txn, account, hash, false, at).await?;
    revoke_sessions(&txn, Sessions::User(row.user_id), at).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::PasswordResetCompleted, row.user_id).by(row.user_id),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
