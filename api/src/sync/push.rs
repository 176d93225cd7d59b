//! `POST /sync/push`: a batch of marks, applied whole or not at all, idempotent by `batch_id`.

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, Request, State},
    http::StatusCode,
};
use mobile_contract::{MAX_BATCH_BYTES, MAX_MARKS_PER_BATCH, PushRequest, PushResponse};
use sea_orm::{DatabaseConnection, EntityTrait, QueryFilter};
use validator::Validate;

use crate::{
    auth::principal::Bearer,
    error::{ApiError, ErrorBody, ErrorCode, Result},
    http::extract::parse_json,
    state::AppState,
};

fn too_large() -> ApiError {
    ApiError::from(ErrorCode::BatchTooLarge)
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
pub async fn push(
    State(state): State<AppState>,
    caller: Bearer,
    request: Request,
) -> Result<Json<PushResponse>> {
    let bytes = Bytes::from_request(request, &state)
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
    let device = batch.device_id.to_string();
    match caller.device_id.as_deref() {
        Some(bound) if bound != device => return Err(device_mismatch()),
        Some(_) => {}
        None => bind_device(&state.db, &caller.family, &device).await?,
    }
    Ok(Json(state.ingest.push(caller, batch).await?))
}

/// 403 for a batch sent with another tablet's id than the one the login is bound to.
fn device_mismatch() -> ApiError {
    ApiError::from(ErrorCode::DeviceMismatch)
}

/// A login opened without a tablet id is bound to the tablet of its first batch; a later batch
/// from another tablet is refused.
async fn bind_device(db: &DatabaseConnection, family: &str, device: &str) -> Result<()> {
    use entity::refresh_token;
    use sea_orm::{ColumnTrait, QueryOrder, QuerySelect, sea_query::Expr};
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::DeviceId, Expr::value(device))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::DeviceId.is_null())
        .exec(db)
        .await?;
    let bound: Option<Option<String>> = refresh_token::Entity::find()
        .select_only()
        .column(refresh_token::Column::DeviceId)
        .filter(refresh_token::Column::FamilyId.eq(family))
        .order_by_desc(refresh_token::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    match bound.flatten() {
        Some(bound) if bound == device => Ok(()),
        _ => Err(device_mismatch()),
    }
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
