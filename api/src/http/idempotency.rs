//! `Idempotency-Key`: a write sent again with the same key (a client retrying after its answer was
//! lost: a dropped connection, a timeout, a server restart) gets the answer the first one got,
//! instead of being done twice (a second ticket, a second certificate).
//!
//! The key is kept per caller (`user:<id>`, or `public` for the forms without sign-in) with a
//! fingerprint of the request (method, path, body): the same key with another request is 422
//! `idempotency_key_reused`; while the first request runs, 409 `idempotency_in_progress` with
//! `Retry-After`. An answer of the server's fault (5xx, 408) is not kept, so a retry does the work.
//! Keys are kept a day. Every `POST` honours the header; the OpenAPI document names it on the
//! writes a client most needs to retry (filing a ticket, issuing a certificate or a section's
//! batch, a public certificate request).

use std::sync::atomic::{AtomicI64, Ordering};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use entity::idempotency_key;

use crate::{
    error::{ApiError, ErrorCode},
    state::AppState,
    time::now,
};

/// The header.
pub const HEADER: &str = "idempotency-key";
/// Largest request body fingerprinted: just over the largest a route accepts (a ticket with three
/// 5 MiB attachments); a larger one is refused here as that route would refuse it.
const MAX_REQUEST: usize = 16 * 1024 * 1024;
/// Largest answer kept; a larger one is not replayed (the retry does the work).
const MAX_ANSWER: usize = 4 * 1024 * 1024;
/// How long a key is kept.
const KEPT_HOURS: i64 = 24;

/// The middleware: see the module's documentation.
pub async fn idempotent(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get(HEADER).cloned() else {
        return next.run(request).await;
    };
    let Some(key) = valid_key(&key) else {
        return ApiError::because(
            ErrorCode::InvalidIdempotencyKey,
            "La cabecera Idempotency-Key debe tener entre 8 y 255 caracteres visibles.",
        )
        .into_response();
    };
    let scope = scope_of(&state, &request);
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REQUEST).await else {
        return ApiError::from(ErrorCode::PayloadTooLarge).into_response();
    };
    let fingerprint = fingerprint(&parts, &bytes);
    match claim(&state.db, &scope, &key, &fingerprint).await {
        Ok(Claim::Ours) => {}
        Ok(Claim::Replay(stored)) => return replay(stored),
        Ok(Claim::Running) => {
            return ApiError::from(ErrorCode::IdempotencyInProgress)
                .with_retry_after(1)
                .into_response();
        }
        Ok(Claim::OtherRequest) => {
            return ApiError::from(ErrorCode::IdempotencyKeyReused).into_response();
        }
        Err(error) => return error.into_response(),
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    keep(&state.db, &scope, &key, response).await
}

/// A key of visible ASCII, 8 to 255 characters.
fn valid_key(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?.trim();
    ((8..=255).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| text.to_owned())
}

/// `user:<id>` for a valid access token, `public` otherwise (the handler answers a bad token).
fn scope_of(state: &AppState, request: &Request) -> String {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|token| state.tokens.verify(token).ok())
        .map_or_else(
            || "public".to_owned(),
            |claims| format!("user:{}", claims.sub),
        )
}

/// The request's method, path, query and body; a multipart body without its boundary, which a
/// client draws anew for every send.
fn fingerprint(parts: &axum::http::request::Parts, body: &Bytes) -> String {
    let mut hash = Sha256::new();
    hash.update(parts.method.as_str().as_bytes());
    hash.update([0]);
    hash.update(parts.uri.path().as_bytes());
    hash.update([0]);
    hash.update(parts.uri.query().unwrap_or_default().as_bytes());
    hash.update([0]);
    let boundary = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once("boundary="))
        .map(|(_, b)| b.trim_matches('"').as_bytes().to_vec())
        .filter(|b| !b.is_empty());
    match boundary {
        Some(boundary) => {
            let mut rest: &[u8] = body;
            while let Some(at) = rest
                .windows(boundary.len())
                .position(|window| window == boundary.as_slice())
            {
                hash.update(&rest[..at]);
                hash.update(b"<boundary>");
                rest = &rest[at + boundary.len()..];
            }
            hash.update(rest);
        }
        None => hash.update(body),
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

enum Claim {
    /// This request does the work.
    Ours,
    /// The first request's answer.
    Replay(idempotency_key::Model),
    /// The first request is still running.
    Running,
    /// The key was used for another request.
    OtherRequest,
}

/// Claims the key for this request, or finds who has it. The primary key decides between two
/// requests at once.
async fn claim(
    db: &DatabaseConnection,
    scope: &str,
    key: &str,
    fingerprint: &str,
) -> Result<Claim, ApiError> {
    forget_old(db).await;
    let inserted = idempotency_key::ActiveModel {
        scope: Set(scope.to_owned()),
        key: Set(key.to_owned()),
        fingerprint: Set(fingerprint.to_owned()),
        status: Set(None),
        content_type: Set(None),
        body: Set(None),
        created_at: Set(now()),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => return Ok(Claim::Ours),
        Err(error)
            if !matches!(
                error.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            return Err(error.into());
        }
        Err(_) => {}
    }
    let Some(stored) = idempotency_key::Entity::find_by_id((scope.to_owned(), key.to_owned()))
        .one(db)
        .await?
    else {
        // Forgotten in between: a retry claims it again.
        return Ok(Claim::Running);
    };
    Ok(if stored.fingerprint != fingerprint {
        Claim::OtherRequest
    } else if stored.status.is_none() {
        Claim::Running
    } else {
        Claim::Replay(stored)
    })
}

/// Keeps the answer for the key (or lets the key go, for an answer a retry should not get).
async fn keep(db: &DatabaseConnection, scope: &str, key: &str, response: Response) -> Response {
    let status = response.status();
    let id = (scope.to_owned(), key.to_owned());
    let worth_keeping = !status.is_server_error() && status != StatusCode::REQUEST_TIMEOUT;
    let small = axum::body::HttpBody::size_hint(response.body())
        .exact()
        .is_some_and(|length| length <= MAX_ANSWER as u64);
    if !small {
        // Streamed or large (a file): not replayed; the key is let go and the answer passes on.
        if let Err(error) = idempotency_key::Entity::delete_by_id(id).exec(db).await {
            tracing::warn!(%error, "an idempotency key was not let go");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_ANSWER).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let _ = idempotency_key::Entity::delete_by_id(id).exec(db).await;
            return ApiError::Internal(anyhow::anyhow!("an answer could not be read back"))
                .into_response();
        }
    };
    let text = std::str::from_utf8(&bytes).ok();
    let stored = match (worth_keeping, text) {
        (true, Some(text)) => {
            let content_type = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            idempotency_key::Entity::update_many()
                .col_expr(
                    idempotency_key::Column::Status,
                    sea_orm::sea_query::Expr::value(status.as_u16() as i16),
                )
                .col_expr(
                    idempotency_key::Column::ContentType,
                    sea_orm::sea_query::Expr::value(content_type),
                )
                .col_expr(
                    idempotency_key::Column::Body,
                    sea_orm::sea_query::Expr::value(text.to_owned()),
                )
                .filter(idempotency_key::Column::Scope.eq(scope))
                .filter(idempotency_key::Column::Key.eq(key))
                .exec(db)
                .await
                .map(|_| ())
        }
        _ => idempotency_key::Entity::delete_by_id(id)
            .exec(db)
            .await
            .map(|_| ()),
    };
    if let Err(error) = stored {
        tracing::warn!(%error, "the answer of an idempotent request was not kept");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The first request's answer, again.
fn replay(stored: idempotency_key::Model) -> Response {
    let status = stored
        .status
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body.unwrap_or_default()).into_response();
    let headers = response.headers_mut();
    if let Some(content_type) = stored
        .content_type
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// Forgets keys older than a day, at most once a minute per process.
async fn forget_old(db: &DatabaseConnection) {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let at = now();
    let last = LAST.load(Ordering::Relaxed);
    if at.timestamp() - last < 60
        || LAST
            .compare_exchange(last, at.timestamp(), Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    let _ = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(at - Duration::hours(KEPT_HOURS)))
        .exec(db)
        .await;
}
