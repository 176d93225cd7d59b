//! HTTP surface of the monthly register for the web: each handler extracts, calls the service
//! of its workflow (`cells`, `closure`, `modification`, `overview`) and answers.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    cells::{self, CellsInput},
    closure::{self, ApplyHeld, CompleteInput, HeldMark},
    export::{self, ExportFilter},
    modification::{ModificationView, RegisterModification},
    overview::{self, StateRow, StatesFilter},
    register::{self, Register},
};
use crate::{
    auth::AuthUser,
    error::{ApiError, ErrorBody, Result},
    exceptional::{self, Enable, ModificationFilter, ModificationRequest, Opinion},
    http::{ApiJson, ApiPath, ApiQuery, Page, PageParams},
    state::AppState,
    time::now,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_register))
        .routes(routes!(write_cells))
        .routes(routes!(complete))
        .routes(routes!(close))
        .routes(routes!(list_held))
        .routes(routes!(apply_held))
        .routes(routes!(dismiss_held))
        .routes(routes!(request_modification))
        .routes(routes!(give_opinion))
        .routes(routes!(enable_modification))
        .routes(routes!(list))
        .routes(routes!(get))
        .routes(routes!(list_states))
        .routes(routes!(register_pdf))
        .routes(routes!(export))
}

type RegisterPath = ApiPath<(i64, i32, u32)>;

/// The register of a section for a month, as the grid of docs/domain.md §3.
#[utoipa::path(get, path = "/sections/{id}/registers/{year}/{month}", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])),
    responses((status = 200, body = Register), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_register(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
) -> Result<Json<Register>> {
    Ok(Json(register::read(&state.db, &p, id, year, month).await?))
}

/// Write cells of the register (the teacher of the section or the director).
#[utoipa::path(put, path = "/sections/{id}/registers/{year}/{month}/cells", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])), request_body = CellsInput,
    responses((status = 200, body = Register), (status = 409, description = "`register_closed`", body = ErrorBody), (status = 422, description = "`invalid_cells`", body = ErrorBody)))]
async fn write_cells(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
    ApiJson(body): ApiJson<CellsInput>,
) -> Result<Json<Register>> {
    Ok(Json(
        cells::write(&state.db, &state.places, &p, id, year, month, body).await?,
    ))
}

/// "Completar asistencias hasta día N": every empty academic cell up to day N becomes `asistio`.
#[utoipa::path(post, path = "/sections/{id}/registers/{year}/{month}/complete", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])), request_body = CompleteInput,
    responses((status = 200, body = Register), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn complete(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
    ApiJson(body): ApiJson<CompleteInput>,
) -> Result<Json<Register>> {
    Ok(Json(
        closure::complete(&state.db, &state.places, &p, id, year, month, body).await?,
    ))
}

/// Close a complete register (the director). An incomplete one is refused with what is missing.
#[utoipa::path(post, path = "/sections/{id}/registers/{year}/{month}/close", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])),
    responses((status = 200, body = Register), (status = 409, description = "`register_incomplete` (with `details.missing`) or `register_closed`", body = ErrorBody)))]
async fn close(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
) -> Result<Json<Register>> {
    Ok(Json(closure::close(&state.db, &p, id, year, month).await?))
}

/// Marks held for review in a closed month (the director).
#[utoipa::path(get, path = "/sections/{id}/registers/{year}/{month}/held", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])),
    responses((status = 200, body = Vec<HeldMark>), (status = 403, body = ErrorBody)))]
async fn list_held(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
) -> Result<Json<Vec<HeldMark>>> {
    Ok(Json(closure::held(&state.db, &p, id, year, month).await?))
}

/// Apply held marks (the director), only while an exceptional modification is open.
#[utoipa::path(post, path = "/sections/{id}/registers/{year}/{month}/held/apply", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])), request_body = ApplyHeld,
    responses((status = 200, body = Register), (status = 409, description = "`register_closed`: no modification open", body = ErrorBody)))]
async fn apply_held(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
    ApiJson(body): ApiJson<ApplyHeld>,
) -> Result<Json<Register>> {
    Ok(Json(
        closure::apply_held(&state.db, &state.places, &p, id, year, month, body).await?,
    ))
}

/// Set held marks aside (the director), at any time: they never enter the register.
#[utoipa::path(post, path = "/sections/{id}/registers/{year}/{month}/held/dismiss", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])), request_body = ApplyHeld,
    responses((status = 200, body = Register), (status = 403, body = ErrorBody), (status = 422, description = "`validation_failed`: a mark not held in this register", body = ErrorBody)))]
async fn dismiss_held(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
    ApiJson(body): ApiJson<ApplyHeld>,
) -> Result<Json<Register>> {
    Ok(Json(
        closure::dismiss_held(&state.db, &p, id, year, month, body).await?,
    ))
}

/// The director asks the UGEL, with a reason, to modify a closed register.
#[utoipa::path(post, path = "/sections/{id}/registers/{year}/{month}/modifications", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])), request_body = ModificationRequest,
    responses((status = 201, body = ModificationView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn request_modification(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
    ApiJson(body): ApiJson<ModificationRequest>,
) -> Result<(StatusCode, Json<ModificationView>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            exceptional::request::<RegisterModification>(
                &state.db,
                links(&state),
                &p,
                (id, year, month),
                body,
            )
            .await?,
        ),
    ))
}

/// The Especialista del nivel gives its opinion on a modification request.
#[utoipa::path(post, path = "/register-modifications/{id}/opinion", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "attendance", security(("bearer" = [])), request_body = Opinion,
    responses((status = 200, body = ModificationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn give_opinion(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Opinion>,
) -> Result<Json<ModificationView>> {
    Ok(Json(
        exceptional::give_opinion::<RegisterModification>(&state.db, links(&state), &p, id, body)
            .await?,
    ))
}

/// The Especialista SIAGIE UGEL enables a favourably reviewed modification until a deadline.
#[utoipa::path(post, path = "/register-modifications/{id}/enable", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "attendance", security(("bearer" = [])), request_body = Enable,
    responses((status = 200, body = ModificationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn enable_modification(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Enable>,
) -> Result<Json<ModificationView>> {
    Ok(Json(
        exceptional::enable::<RegisterModification>(&state.db, links(&state), &p, id, body).await?,
    ))
}

/// Modification requests in the caller's reach (the director of the IE, the Especialista del
/// nivel and the Especialista SIAGIE of its UGEL), newest first.
#[utoipa::path(get, path = "/register-modifications", tag = "attendance", security(("bearer" = [])), params(ModificationFilter),
    responses((status = 200, body = inline(Page<ModificationView>)), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(filter): ApiQuery<ModificationFilter>,
) -> Result<Json<Page<ModificationView>>> {
    Ok(Json(
        exceptional::list_in_reach::<RegisterModification>(&state.db, &p, filter).await?,
    ))
}

/// One modification request, for those who take part in it.
#[utoipa::path(get, path = "/register-modifications/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "attendance", security(("bearer" = [])),
    responses((status = 200, body = ModificationView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ModificationView>> {
    Ok(Json(
        exceptional::get_in_reach::<RegisterModification>(&state.db, &p, id).await?,
    ))
}

/// Register states of every section of an IE, a UGEL or a DRE for a month.
#[utoipa::path(get, path = "/registers", tag = "attendance", security(("bearer" = [])), params(StatesFilter),
    responses((status = 200, body = Vec<StateRow>), (status = 403, body = ErrorBody)))]
async fn list_states(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(filter): ApiQuery<StatesFilter>,
) -> Result<(HeaderMap, Json<Vec<StateRow>>)> {
    let rows = overview::states_of_unit(&state.db, &p, &filter).await?;
    let page = PageParams {
        page: filter.page,
        per_page: filter.per_page,
    };
    let (headers, rows) = crate::http::page::slice(rows, page)?;
    Ok((headers, Json(rows)))
}

/// The register as a PDF (A4 landscape), to print, sign and seal.
#[utoipa::path(get, path = "/sections/{id}/registers/{year}/{month}/pdf", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])),
    responses((status = 200, description = "PDF", content_type = "application/pdf"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn register_pdf(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
) -> Result<axum::response::Response> {
    let at = now();
    let register = register::read(&state.db, &p, id, year, month).await?;
    let bytes = crate::time::spawn_blocking(move || super::pdf::render(&register, at))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    axum::response::Response::builder()
        .header(axum::http::header::CONTENT_TYPE, "application/pdf")
        .header(
            axum::http::header::CONTENT_DISPOSITION,
            format!("inline; filename=\"registro-asistencia-{id}-{year}-{month:02}.pdf\""),
        )
        .body(axum::body::Body::from(bytes))
        .map_err(|e| ApiError::Internal(e.into()))
}

/// CSV (UTF-8) of a month's attendance per student of a UGEL, a DRE or an IE. The rate counts
/// attended days (asistió, tardanza and tardanza justificada) over the student's academic days
/// (up to today for the month in course).
#[utoipa::path(get, path = "/exports/attendance", tag = "attendance", security(("bearer" = [])), params(ExportFilter),
    responses((status = 200, description = "CSV, streamed", content_type = "text/csv"), (status = 403, body = ErrorBody)))]
async fn export(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(filter): ApiQuery<ExportFilter>,
) -> Result<Response> {
    let receiver = export::csv_chunks(&state.db, p, &filter).await?;
    crate::http::download::csv_stream(
        receiver,
        &format!("asistencia-{}-{:02}", filter.year, filter.month),
    )
}

/// The product's address, as the e-mails of a step name it.
fn links(state: &AppState) -> crate::links::Links<'_> {
    crate::links::Links::new(&state.config.auth.public_base_url)
}
