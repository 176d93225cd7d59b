//! The caller's own e-mail: it is confirmed by its owner, signed in and with its password, with a
//! code sent to the address. Only a confirmed address receives a link that opens the account (a
//! password reset, a new account's first password): an address typed by whoever registered the
//! person, maybe a director of another IE, does not.

use chrono::{DateTime, Duration, Utc};
use rand::RngExt;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use serde::Serialize;
use utoipa::ToSchema;

use entity::{confirmed_email, email_confirmation, person};

use super::{principal::Principal, tokens::hash_token};
use crate::{
    domain::Email,
    error::{ApiError, ErrorCode, Result},
    record::{AuditAction, Change, Event, record},
    state::AppState,
    time::{LIMA, now},
};

/// How long a code serves.
const CODE_TTL_MINUTES: i64 = 30;
/// Wrong codes before a code is void.
const ATTEMPTS: i16 = 5;
/// A new code is sent at most once in this time.
const RESEND_AFTER_SECONDS: i64 = 60;

/// The caller's e-mail as it stands, and the one waiting for its code.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailStatus {
    /// The address on record, if any.
    pub email: Option<String>,
    /// Whether its owner confirmed it: only then do recovery links go there.
    pub confirmed: bool,
    /// An address sent a code, waiting for it.
    pub pending: Option<PendingEmail>,
}

/// An address sent a code.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingEmail {
    pub email: String,
    pub expires_at: DateTime<Utc>,
    pub attempts_left: i16,
}

/// The person's e-mail, if its owner confirmed it: only there may a link that opens the account
/// go.
pub async fn recoverable(
    db: &impl ConnectionTrait,
    person: &person::Model,
) -> Result<Option<String>> {
    let Some(email) = &person.email else {
        return Ok(None);
    };
    let confirmed = confirmed_email::Entity::find_by_id(person.id)
        .one(db)
        .await?
        .is_some_and(|c| still_confirmed(&c.email, email));
    Ok(confirmed.then(|| email.clone()))
}

/// Whether the address on record is the one its owner confirmed (changed since by any path, it
/// is not).
fn still_confirmed(confirmed: &str, on_record: &str) -> bool {
    confirmed.eq_ignore_ascii_case(on_record)
}

/// Of these accounts, those whose person's e-mail its owner confirmed (who recover their
/// password by link): three reads, whatever their number.
pub async fn recovering(
    db: &impl ConnectionTrait,
    user_ids: &[i64],
) -> Result<std::collections::HashSet<i64>> {
    use std::collections::HashMap;
    let accounts = entity::user_account::Entity::find()
        .filter(entity::user_account::Column::Id.is_in(user_ids.iter().copied()))
        .all(db)
        .await?;
    let person_ids: Vec<i64> = accounts.iter().map(|a| a.person_id).collect();
    let confirmed: HashMap<i64, String> = confirmed_email::Entity::find()
        .filter(confirmed_email::Column::PersonId.is_in(person_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.person_id, c.email))
        .collect();
    let people: HashMap<i64, Option<String>> = person::Entity::find()
        .filter(person::Column::Id.is_in(confirmed.keys().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.email))
        .collect();
    Ok(accounts
        .iter()
        .filter(|a| {
            let on_record = people.get(&a.person_id).and_then(Option::as_deref);
            confirmed
                .get(&a.person_id)
                .zip(on_record)
                .is_some_and(|(confirmed, on_record)| still_confirmed(confirmed, on_record))
        })
        .map(|a| a.id)
        .collect())
}

/// The caller's e-mail and any code pending.
pub async fn status(db: &impl ConnectionTrait, principal: &Principal) -> Result<EmailStatus> {
    let holder = person::Entity::find_by_id(principal.person_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::from(ErrorCode::SessionRevoked))?;
    let at = now();
    let pending = email_confirmation::Entity::find_by_id(principal.user_id)
        .one(db)
        .await?
        .filter(|p| p.expires_at > at && p.attempts_left > 0)
        .map(|p| PendingEmail {
            email: p.email,
            expires_at: p.expires_at,
            attempts_left: p.attempts_left,
        });
    Ok(EmailStatus {
        confirmed: recoverable(db, &holder).await?.is_some(),
        email: holder.email,
        pending,
    })
}

/// Sends a code to `email` for the signed-in owner, who proves it is itself with its password.
/// A code sent before is replaced.
pub async fn send_code(
    state: &AppState,
    principal: &Principal,
    email: &str,
    current_password: String,
) -> Result<EmailStatus> {
    let db = &state.db;
    let email = Email::parse(email).map_err(|m| ApiError::field("email", m))?;
    let account =
        super::service::check_current_password(db, &state.config.auth, principal, current_password)
            .await?;
    let at = now();
    let holder = person::Entity::find_by_id(principal.person_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::from(ErrorCode::SessionRevoked))?;
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let expires = at + Duration::minutes(CODE_TTL_MINUTES);
    let mail = jobs::templates::Mail::new(
        "email_confirmation",
        &jobs::templates::context! {
            name => &holder.given_names,
            username => &account.username,
            code => &code,
            expires => expires.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string(),
        },
    )
    .map_err(ApiError::Internal)?;
    let txn = crate::db::begin(db).await?;
    // One statement both replaces an earlier code and refuses one sent within the minute, so two
    // requests at once cannot both write (nor collide on the key).
    use email_confirmation::Column;
    let written = email_confirmation::Entity::insert(email_confirmation::ActiveModel {
        user_id: Set(principal.user_id),
        email: Set(email.as_str().to_owned()),
        code_hash: Set(code_hash(principal.user_id, email.as_str(), &code)),
        attempts_left: Set(ATTEMPTS),
        created_at: Set(at),
        expires_at: Set(expires),
    })
    .on_conflict(
        OnConflict::column(Column::UserId)
            .update_columns([
                Column::Email,
                Column::CodeHash,
                Column::AttemptsLeft,
                Column::CreatedAt,
                Column::ExpiresAt,
            ])
            .action_and_where(
                Expr::col((email_confirmation::Entity, Column::CreatedAt))
                    .lte(at - Duration::seconds(RESEND_AFTER_SECONDS)),
            )
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if written != 1 {
        let wait = email_confirmation::Entity::find_by_id(principal.user_id)
            .one(&txn)
            .await?
            .map_or(RESEND_AFTER_SECONDS, |earlier| {
                (earlier.created_at + Duration::seconds(RESEND_AFTER_SECONDS) - at).num_seconds()
            })
            .clamp(1, RESEND_AFTER_SECONDS);
        return Err(ApiError::from(ErrorCode::CodeRecentlySent).with_retry_after(wait as u64));
    }
    record(
        &txn,
        Change::Mail(vec![(email.as_str().to_owned(), mail, None)]),
    )
    .await?;
    txn.commit().await?;
    status(db, principal).await
}

/// Confirms the pending address with its code: it becomes the person's e-mail, confirmed. Each
/// wrong code spends an attempt before it is compared, so that codes tried at once count too.
pub async fn confirm(
    db: &sea_orm::DatabaseConnection,
    principal: &Principal,
    code: &str,
) -> Result<EmailStatus> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::field(
            "code",
            "Escriba los seis dígitos del código que le enviamos.",
        ));
    }
    let at = now();
    let spent = email_confirmation::Entity::update_many()
        .col_expr(
            email_confirmation::Column::AttemptsLeft,
            Expr::col(email_confirmation::Column::AttemptsLeft).sub(1),
        )
        .filter(email_confirmation::Column::UserId.eq(principal.user_id))
        .filter(email_confirmation::Column::AttemptsLeft.gt(0))
        .filter(email_confirmation::Column::ExpiresAt.gt(at))
        .exec(db)
        .await?;
    let Some(pending) = email_confirmation::Entity::find_by_id(principal.user_id)
        .one(db)
        .await?
        .filter(|_| spent.rows_affected == 1)
    else {
        return Err(ApiError::from(ErrorCode::EmailCodeExpired));
    };
    if code_hash(principal.user_id, &pending.email, code) != pending.code_hash {
        return Err(ApiError::field(
            "code",
            match pending.attempts_left {
                0 => "El código no es correcto y ya no quedan intentos: solicite uno nuevo."
                    .to_owned(),
                1 => "El código no es correcto: le queda 1 intento.".to_owned(),
                n => format!("El código no es correcto: le quedan {n} intentos."),
            },
        ));
    }
    let holder = person::Entity::find_by_id(principal.person_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::from(ErrorCode::SessionRevoked))?;
    let before = recoverable(db, &holder).await?;
    let txn = crate::db::begin(db).await?;
    // Spent once: of two confirmations with the right code, one takes it. The row stays, spent,
    // so that the next code still waits for its minute.
    let taken = email_confirmation::Entity::update_many()
        .col_expr(email_confirmation::Column::CodeHash, Expr::value(""))
        .col_expr(email_confirmation::Column::AttemptsLeft, Expr::value(0))
        .col_expr(email_confirmation::Column::ExpiresAt, Expr::value(at))
        .filter(email_confirmation::Column::UserId.eq(principal.user_id))
        .filter(email_confirmation::Column::CodeHash.eq(&pending.code_hash))
        .exec(&txn)
        .await?;
    if taken.rows_affected != 1 {
        return Err(ApiError::from(ErrorCode::EmailCodeExpired));
    }
    person::Entity::update_many()
        .col_expr(person::Column::Email, Expr::value(pending.email.clone()))
        .filter(person::Column::Id.eq(principal.person_id))
        .exec(&txn)
        .await?;
    confirmed_email::Entity::delete_by_id(principal.person_id)
        .exec(&txn)
        .await?;
    confirmed_email::ActiveModel {
        person_id: Set(principal.person_id),
        email: Set(pending.email.clone()),
        confirmed_at: Set(at),
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::EmailConfirmed, principal.user_id)
                .by(principal.user_id)
                .before(&before)
                .after(&pending.email),
        ),
    )
    .await?;
    // The address that received the links until now is told where they go instead.
    if let Some(old) = before.filter(|old| !old.eq_ignore_ascii_case(&pending.email)) {
        let mail = jobs::templates::Mail::new(
            "email_changed",
            &jobs::templates::context! {
                name => &holder.given_names,
                username => &principal.username,
                at => at.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string(),
                masked => masked(&pending.email),
            },
        )
        .map_err(ApiError::Internal)?;
        record(&txn, Change::Mail(vec![(old, mail, None)])).await?;
    }
    txn.commit().await?;
    status(db, principal).await
}

/// An address as a message to another one shows it: its first letter and its domain.
fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().unwrap_or('*');
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// After a manager's reset: the person's address is no longer confirmed, and a code pending for
/// the account is void.
pub async fn forget(db: &impl ConnectionTrait, person_id: i64, user_id: i64) -> Result<()> {
    confirmed_email::Entity::delete_by_id(person_id)
        .exec(db)
        .await?;
    email_confirmation::Entity::delete_by_id(user_id)
        .exec(db)
        .await?;
    Ok(())
}

/// The stored form of a code: bound to its account and address.
fn code_hash(user_id: i64, email: &str, code: &str) -> String {
    hash_token(&format!("{user_id}:{email}:{code}"))
}
