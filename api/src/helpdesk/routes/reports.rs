//! The help desk's reports, as JSON or CSV.

use axum::{body::Body, extract::State, http::header, response::Response};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::helpdesk::{
    dto::{BacklogQuery, ReportQuery},
    reports,
};
use crate::{
    auth::AuthUser,
    error::{ApiError, ErrorBody, ErrorCode, Result},
    http::ApiQuery,
    state::AppState,
    time::now,
};

/// The reports.
pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(backlog))
        .routes(routes!(summary))
}

fn json<T: serde::Serialize>(value: &T) -> Result<Response> {
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.into()))?,
        ))
        .map_err(|e| ApiError::Internal(e.into()))
}

/// `bom=1` starts a CSV with a UTF-8 byte order mark (as the attendance export does).
fn wants_bom(bom: Option<u8>) -> Result<bool> {
    match bom {
        None | Some(0) => Ok(false),
        Some(1) => Ok(true),
        Some(_) => Err(ApiError::because(
            ErrorCode::InvalidQuery,
            "El parámetro «bom» debe ser 0 o 1.",
        )),
    }
}

fn wants_csv(format: Option<&str>) -> Result<bool> {
    match format {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => Err(ApiError::because(
            ErrorCode::InvalidQuery,
            format!(
                "Formato no válido: «{}». Valores permitidos: json, csv.",
                other.chars().take(40).collect::<String>()
            ),
        )),
    }
}

/// The open tickets by level, state, topic and UGEL (JSON, or CSV with `format=csv`).
#[utoipa::path(get, path = "/helpdesk/reports/backlog", tag = "helpdesk", security(("bearer" = [])), params(BacklogQuery),
    responses((status = 200, body = Vec<reports::BacklogRow>, description = "JSON, o CSV con `format=csv`"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn backlog(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<BacklogQuery>,
) -> Result<Response> {
    let as_csv = wants_csv(q.format.as_deref())?;
    let bom = wants_bom(q.bom)?;
    let rows = reports::backlog(&state.db, &p).await?;
    if as_csv {
        crate::http::download::csv(reports::backlog_csv(&rows), "pendientes", bom)
    } else {
        json(&rows)
    }
}

/// SLA compliance, medians, time per level, bounces, reopen rate and satisfaction of the tickets
/// filed in a period (`from`, `to`; by default the last 30 days), as JSON or CSV.
#[utoipa::path(get, path = "/helpdesk/reports/summary", tag = "helpdesk", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, body = reports::Summary, description = "JSON, o CSV con `format=csv`"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn summary(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response> {
    let as_csv = wants_csv(q.format.as_deref())?;
    let bom = wants_bom(q.bom)?;
    let now = now();
    let period = reports::period(q.from, q.to, now)?;
    let summary = reports::summary(&state.db, &state.config.helpdesk, &p, period, now).await?;
    if as_csv {
        crate::http::download::csv(reports::summary_csv(&summary), "resumen", bom)
    } else {
        json(&summary)
    }
}
