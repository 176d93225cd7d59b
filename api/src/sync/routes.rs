//! HTTP surface of tablet synchronisation, exactly as `docs/mobile-contract-v1.md` says: the
//! handlers read and check the request (size, JSON, the contract's validation) and call `pull`
//! or `push`.

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, Request, State},
    http::StatusCode,
};
use mobile_contract::{
    MAX_BATCH_BYTES, MAX_MARKS_PER_BATCH, PullResponse, PushRequest, PushResponse,
};
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use super::{
    pull::{self, PullParams},
    push,
};
use crate::{
    auth::{AuthUser, principal::TokenHolder},
    error::{ApiError, ErrorBody, ErrorCode, Result},
    http::{ApiQuery, extract::parse_json},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(pull))
        .routes(routes!(push))
}

/// What the tablet needs offline: sections, students, calendar, register states and removals.
#[utoipa::path(get, path = "/sync/pull", tag = "sync", security(("bearer" = [])), params(PullParams),
    responses(
        (status = 200, description = "See `PullResponse` in the mobile-contract JSON Schema", body = serde_json::Value),
        (status = 401, body = ErrorBody),
    ))]
async fn pull(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(params): ApiQuery<PullParams>,
) -> Result<Json<PullResponse>> {
    Ok(Json(
        pull::pull(&state.db, &p, params.since.as_deref()).await?,
    ))
}

/// Upload attendance marks recorded offline. One result per mark, in order; a resent batch gets
/// the same answer and changes nothing.
#[utoipa::path(post, path = "/sync/push", tag = "sync", security(("bearer" = [])),
    request_body = inline(serde_json::Value),
    responses(
        (status = 200, description = "One result per mark (see `PushResponse` in the mobile-contract JSON Schema)", body = serde_json::Value),
        (status = 400, description = "`invalid_body`", body = ErrorBody),
        (status = 401, description = "`token_expired`, `session_revoked`: keep the queue", body = ErrorBody),
        (status = 413, description = "`batch_too_large`", body = ErrorBody),
    ))]
async fn push(
    State(state): State<AppState>,
    caller: TokenHolder,
    request: Request,
) -> Result<Json<PushResponse>> {
    let batch = match read_batch(&state, request).await {
        Ok(batch) => batch,
        // An ended login is told so whatever it sent: the tablet keeps its queue and signs in
        // again, rather than dropping a batch it was told is malformed.
        Err(refused) => {
            caller.ensure_live(&state.db).await?;
            return Err(refused);
        }
    };
    Ok(Json(push::accept(&state.ingest, caller, batch).await?))
}

/// A push's body, read within its limits, parsed and checked against the contract.
async fn read_batch(state: &AppState, request: Request) -> Result<PushRequest> {
    let bytes = Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::invalid_body("No se pudo leer el lote.")
            }
        })?;
    if bytes.len() > MAX_BATCH_BYTES {
        return Err(too_large());
    }
    let batch: PushRequest = parse_json(&bytes)?;
    if batch.marks.len() > MAX_MARKS_PER_BATCH {
        return Err(too_large());
    }
    batch.validate().map_err(|errors| {
        let fields = errors
            .field_errors()
            .iter()
            .map(|(field, errs)| {
                (
                    field.to_string(),
                    errs.first()
                        .and_then(|e| e.message.clone())
                        .map(|m| m.into_owned())
                        .unwrap_or_else(|| "Valor no válido.".into()),
                )
            })
            .chain(nested_errors(&errors))
            .collect();
        ApiError::invalid_body("El lote no tiene la forma esperada.").with_fields(fields)
    })?;
    Ok(batch)
}

fn too_large() -> ApiError {
    ApiError::from(ErrorCode::BatchTooLarge)
}

fn nested_errors(errors: &validator::ValidationErrors) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(validator::ValidationErrorsKind::List(items)) = errors.errors().get("marks") {
        for (index, item) in items {
            for (field, errs) in item.field_errors() {
                let message = errs
                    .first()
                    .and_then(|e| e.message.clone())
                    .map(|m| m.into_owned())
                    .unwrap_or_else(|| "Valor no válido.".into());
                out.push((format!("marks[{index}].{field}"), message));
            }
        }
    }
    out
}
