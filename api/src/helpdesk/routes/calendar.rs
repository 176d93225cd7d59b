//! The help-desk calendar's holidays and the people's availability for round-robin.

use axum::{Json, extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::helpdesk::{
    availability, calendar,
    dto::{Availability, AvailabilityInput, Holiday, HolidayInput, YearQuery},
};
use crate::{
    auth::AuthUser,
    error::{ErrorBody, Result},
    http::{ApiJson, ApiPath, ApiQuery},
    state::AppState,
    time::now,
};

/// The calendar's holidays and the caller's availability.
pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_holidays, add_holiday))
        .routes(routes!(change_holiday, delete_holiday))
        .routes(routes!(my_availability, set_my_availability))
}

/// The help-desk calendar's holidays of a year (national, and each DRE's for its N2 queues).
#[utoipa::path(get, path = "/helpdesk/holidays", tag = "helpdesk", security(("bearer" = [])), params(YearQuery),
    responses((status = 200, body = Vec<Holiday>)))]
async fn list_holidays(
    State(state): State<AppState>,
    AuthUser(_p): AuthUser,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> Result<Json<Vec<Holiday>>> {
    let year = q
        .year
        .unwrap_or_else(|| chrono::Datelike::year(&crate::time::today_lima()));
    Ok(Json(calendar::list_holidays(&state.db, year).await?))
}

/// Add a holiday to the help-desk calendar (the administrator and the Central de Atención);
/// open tickets' SLA follows at once.
#[utoipa::path(post, path = "/helpdesk/holidays", tag = "helpdesk", security(("bearer" = [])), request_body = HolidayInput,
    responses((status = 201, body = Holiday), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_holiday(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<HolidayInput>,
) -> Result<(StatusCode, Json<Holiday>)> {
    Ok((
        StatusCode::CREATED,
        Json(calendar::add_holiday(&state.db, &p, body).await?),
    ))
}

/// The caller's availability for round-robin assignment (agents and specialists).
#[utoipa::path(get, path = "/helpdesk/me/availability", tag = "helpdesk", security(("bearer" = [])),
    responses((status = 200, body = Availability), (status = 403, body = ErrorBody)))]
async fn my_availability(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> Result<Json<Availability>> {
    Ok(Json(availability::read(&state.db, &p).await?))
}

/// Set the caller's availability: round-robin assigns new tickets only to those available
/// (agents and specialists; each sets its own).
#[utoipa::path(put, path = "/helpdesk/me/availability", tag = "helpdesk", security(("bearer" = [])), request_body = AvailabilityInput,
    responses((status = 200, body = Availability), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_my_availability(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<AvailabilityInput>,
) -> Result<Json<Availability>> {
    Ok(Json(
        availability::set(&state.db, &p, body.available, now()).await?,
    ))
}

/// Change a holiday of the help-desk calendar (the administrator and the Central de Atención);
/// open tickets' SLA follows at once.
#[utoipa::path(put, path = "/helpdesk/holidays/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = HolidayInput,
    responses((status = 200, body = Holiday), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_holiday(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<HolidayInput>,
) -> Result<Json<Holiday>> {
    Ok(Json(
        calendar::change_holiday(&state.db, &p, id, body).await?,
    ))
}

/// Delete a holiday from the help-desk calendar (the administrator and the Central de Atención);
/// open tickets' SLA follows at once.
#[utoipa::path(delete, path = "/helpdesk/holidays/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])),
    responses((status = 204, description = "Eliminado"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_holiday(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode> {
    calendar::delete_holiday(&state.db, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
