//! `POST /sync/push`: a batch of marks, applied whole or not at all, idempotent by `batch_id`.

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, Request, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use mobile_contract::{MAX_BATCH_BYTES, MAX_MARKS_PER_BATCH, PushRequest, PushResponse};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionTrait,
    sea_query::OnConflict,
};
use validator::Validate;

use entity::{device, sync_batch};

use crate::{
    attendance::engine::{self, Incoming, Source},
    auth::{AuthUser, Principal, policy::Unit},
    error::{ApiError, ErrorBody, Result},
    http::extract::parse_json,
    state::AppState,
    time::{LIMA, now},
};

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "batch_too_large",
        "El lote es demasiado grande: envíe hasta 1000 marcas y 1 MiB por lote.",
    )
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
    AuthUser(p): AuthUser,
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
    Ok(Json(apply(&state, &p, batch).await?))
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

async fn stored(
    db: &impl ConnectionTrait,
    batch: &PushRequest,
    user_id: i64,
) -> Result<Option<PushResponse>> {
    let Some(row) = sync_batch::Entity::find_by_id(batch.batch_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.user_id != user_id {
        return Err(ApiError::conflict(
            "batch_id_reused",
            "Ese identificador de lote ya fue usado por otro usuario.",
        ));
    }
    serde_json::from_str(&row.response)
        .map(Some)
        .map_err(|e| ApiError::Internal(e.into()))
}

async fn apply(state: &AppState, p: &Principal, batch: PushRequest) -> Result<PushResponse> {
    let known_device = device::Entity::find_by_id(batch.device_id.to_string())
        .one(&state.db)
        .await?;
    if known_device
        .as_ref()
        .is_some_and(|d| d.revoked_at.is_some())
    {
        return Err(ApiError::unauthorized(
            "session_revoked",
            "Esta tableta fue dada de baja por la dirección de la IE. Conserve las marcas y use otra tableta.",
        ));
    }
    if let Some(response) = stored(&state.db, &batch, p.user_id).await? {
        return Ok(response);
    }
    let at = now();
    let incoming: Vec<Incoming> = batch
        .marks
        .iter()
        .map(|m| Incoming {
            mark_id: m.mark_id,
            section_id: m.section_id.clone(),
            student_id: m.student_id.clone(),
            date: m.date,
            status: m.status.clone(),
            recorded_at: m.recorded_at,
            note: m.note.clone(),
        })
        .collect();
    let txn = state.db.begin().await?;
    let results = engine::apply(
        &txn,
        &state.places,
        p,
        Source::Tablet {
            device_id: batch.device_id,
            batch_id: batch.batch_id,
        },
        &incoming,
        at,
    )
    .await?;
    let response = PushResponse {
        batch_id: batch.batch_id,
        server_time: at.with_timezone(&LIMA).fixed_offset(),
        results,
    };
    let inserted = sync_batch::Entity::insert(sync_batch::ActiveModel {
        batch_id: Set(batch.batch_id),
        user_id: Set(p.user_id),
        device_id: Set(batch.device_id),
        received_at: Set(at),
        response: Set(serde_json::to_string(&response).map_err(|e| ApiError::Internal(e.into()))?),
    })
    .on_conflict(
        OnConflict::column(sync_batch::Column::BatchId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        // The same batch was applied concurrently: its answer stands, this attempt changes nothing.
        txn.rollback().await?;
        return stored(&state.db, &batch, p.user_id)
            .await?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("batch vanished")));
    }
    record_device(&txn, p, &batch, known_device, at).await?;
    txn.commit().await?;
    Ok(response)
}

/// Each push updates the tablet's record: last seen, last sync, marks still pending on it.
async fn record_device(
    db: &impl ConnectionTrait,
    p: &Principal,
    batch: &PushRequest,
    known: Option<device::Model>,
    at: DateTime<Utc>,
) -> Result<()> {
    let school_id = p.assignments.iter().find_map(|a| match a.unit {
        Unit::School { school_id, .. } => Some(school_id),
        _ => None,
    });
    let id = batch.device_id.to_string();
    let pending = batch.pending.map(|n| n.min(i32::MAX as u32) as i32);
    match known {
        Some(existing) => {
            let mut active: device::ActiveModel = existing.into();
            active.last_seen_at = Set(at);
            active.last_sync_at = Set(Some(at));
            active.last_user_id = Set(Some(p.user_id));
            if pending.is_some() {
                active.pending_marks = Set(pending);
            }
            if school_id.is_some() {
                active.school_id = Set(school_id);
            }
            active.update(db).await?;
        }
        None => {
            device::ActiveModel {
                id: Set(id),
                school_id: Set(school_id),
                last_user_id: Set(Some(p.user_id)),
                first_seen_at: Set(at),
                last_seen_at: Set(at),
                last_sync_at: Set(Some(at)),
                pending_marks: Set(pending),
                revoked_at: Set(None),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}
