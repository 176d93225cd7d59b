//! HTTP surface of evaluation: each handler extracts, calls one service and answers.

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, Request, State},
    http::StatusCode,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    catalogue::{self, Area, AreaChange, AreaFilter, NewArea},
    closure::{self, SituationsInput},
    grades::{self, GradesInput, GradesSaved},
    modification::{ActaModification, ActaModificationView},
    record::{self, RecordQuery, StudentRecord},
    recovery::{self, RecoveriesInput},
    sheet::{self, ActaView},
    teachers::{self, TeacherAreas},
};
use crate::{
    auth::AuthUser,
    error::{ApiError, ErrorBody, Result},
    exceptional::{self, Enable, ModificationFilter, ModificationRequest, Opinion},
    http::{ApiJson, ApiPath, ApiQuery, Page, extract::body_rejection},
    state::AppState,
    time::now,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_areas, create_area))
        .routes(routes!(change_area))
        .routes(routes!(set_teacher_areas))
        .routes(routes!(get_acta))
        .routes(routes!(enter_grades))
        .routes(routes!(import_grades))
        .routes(routes!(record_situations))
        .routes(routes!(close_acta))
        .routes(routes!(record_recovery))
        .routes(routes!(acta_pdf))
        .routes(routes!(request_modification))
        .routes(routes!(list_modifications))
        .routes(routes!(get_modification))
        .routes(routes!(give_opinion))
        .routes(routes!(enable_modification))
        .routes(routes!(student_record))
}

/// The catalogue of curricular areas (per level and curriculum period, with their scale).
#[utoipa::path(get, path = "/curricular-areas", tag = "evaluation", security(("bearer" = [])), params(AreaFilter),
    responses((status = 200, body = Vec<Area>), (status = 422, body = ErrorBody)))]
async fn list_areas(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(filter): ApiQuery<AreaFilter>,
) -> Result<Json<Vec<Area>>> {
    Ok(Json(catalogue::list(&state.db, &p, filter).await?))
}

/// Add a curricular area to the catalogue (the administrator); 409 `curriculum_fixed` when a year
/// it would apply to already has grades at its level.
#[utoipa::path(post, path = "/curricular-areas", tag = "evaluation", security(("bearer" = [])), request_body = NewArea,
    responses((status = 201, body = Area), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_area(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<NewArea>,
) -> Result<(StatusCode, Json<Area>)> {
    Ok((
        StatusCode::CREATED,
        Json(catalogue::create(&state.db, &p, body).await?),
    ))
}

/// Change an area without grades: its name, last year or order (the administrator).
#[utoipa::path(patch, path = "/curricular-areas/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "evaluation", security(("bearer" = [])), request_body = AreaChange,
    responses((status = 200, body = Area), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_area(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AreaChange>,
) -> Result<Json<Area>> {
    Ok(Json(catalogue::change(&state.db, &p, id, body).await?))
}

/// Set the areas a teacher of the section grades (the director); none: every area.
#[utoipa::path(put, path = "/sections/{id}/teachers/{person_id}/areas", params(("id" = i64, Path, description = "Identificador del recurso"), ("person_id" = i64, Path, description = "La persona del docente")), tag = "evaluation", security(("bearer" = [])), request_body = TeacherAreas,
    responses((status = 200, body = Vec<Area>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_teacher_areas(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, person_id)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<TeacherAreas>,
) -> Result<Json<Vec<Area>>> {
    Ok(Json(
        teachers::set_areas(&state.db, &p, id, person_id, body).await?,
    ))
}

/// The acta consolidada de evaluación of a section: students × areas, final situations with the
/// grades' suggestion, what is missing, and its state.
#[utoipa::path(get, path = "/sections/{id}/acta", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, body = ActaView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_acta(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ActaView>> {
    Ok(Json(sheet::read(&state.db, &p, id).await?))
}

/// Enter final grades (a teacher of the section in its areas, the director): all or none.
#[utoipa::path(put, path = "/sections/{id}/acta/grades", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "evaluation", security(("bearer" = [])), request_body = GradesInput,
    responses((status = 200, body = GradesSaved), (status = 403, description = "`forbidden`, `area_not_assigned`", body = ErrorBody), (status = 409, description = "`acta_closed`", body = ErrorBody), (status = 422, description = "`invalid_grades`: `error.details.grades` lists each", body = ErrorBody)))]
async fn enter_grades(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<GradesInput>,
) -> Result<Json<GradesSaved>> {
    Ok(Json(
        grades::enter(&state.db, links(&state), &p, id, body).await?,
    ))
}

/// Import a section's grades from CSV (UTF-8, comma or semicolon separated): a `documento` column
/// and one column per area code (`MAT`, `COM`, …); an empty cell leaves the grade as it is.
#[utoipa::path(post, path = "/sections/{id}/acta/grades", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "evaluation", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = GradesSaved), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, description = "`grades_file_invalid`: `error.details.grades` lists each bad line and column", body = ErrorBody)))]
async fn import_grades(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    request: Request,
) -> Result<Json<GradesSaved>> {
    let bytes = Bytes::from_request(request, &state)
        .await
        .map_err(body_rejection)?;
    Ok(Json(
        grades::import(&state.db, links(&state), &p, id, &bytes).await?,
    ))
}

/// Record final situations (the director): the grades' suggestion, or another with a reason.
#[utoipa::path(put, path = "/sections/{id}/acta/situations", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "evaluation", security(("bearer" = [])), request_body = SituationsInput,
    responses((status = 200, body = ActaView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_situations(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SituationsInput>,
) -> Result<Json<ActaView>> {
    Ok(Json(
        closure::record_situations(&state.db, links(&state), &p, id, body).await?,
    ))
}

/// Close the acta (the director); 409 `acta_incomplete` lists each student's missing areas and
/// situation.
#[utoipa::path(post, path = "/sections/{id}/acta/close", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, body = ActaView), (status = 403, body = ErrorBody), (status = 409, description = "`acta_incomplete`, `acta_closed`", body = ErrorBody)))]
async fn close_acta(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ActaView>> {
    Ok(Json(closure::close(&state.db, &p, id).await?))
}

/// Record the recuperación pedagógica of students the closed acta left `requiere_recuperacion`
/// (the director): the grade of each area they failed and the resulting situation (`promovido` or
/// `permanece`, the grades' suggestion unless a reason says otherwise). All or none; recorded once,
/// and changed only under an enabled exceptional modification.
#[utoipa::path(put, path = "/sections/{id}/acta/recovery", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "evaluation", security(("bearer" = [])), request_body = RecoveriesInput,
    responses((status = 200, body = ActaView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "`recovery_acta_open`, `recovery_recorded`", body = ErrorBody), (status = 422, description = "`validation_failed`: `error.details.students` lists each", body = ErrorBody)))]
async fn record_recovery(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RecoveriesInput>,
) -> Result<Json<ActaView>> {
    Ok(Json(
        recovery::record_results(&state.db, &p, id, body).await?,
    ))
}

/// The acta as a PDF (A4 landscape), to print, sign and seal.
#[utoipa::path(get, path = "/sections/{id}/acta/pdf", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, description = "PDF", content_type = "application/pdf"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn acta_pdf(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<axum::response::Response> {
    let at = now();
    let view = sheet::read(&state.db, &p, id).await?;
    let filename = format!("acta-evaluacion-{}-{}.pdf", view.year, id);
    let bytes = crate::time::spawn_blocking(move || super::pdf::render(&view, at))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    axum::response::Response::builder()
        .header(axum::http::header::CONTENT_TYPE, "application/pdf")
        .header(
            axum::http::header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}\""),
        )
        .body(axum::body::Body::from(bytes))
        .map_err(|e| ApiError::Internal(e.into()))
}

/// The director asks the UGEL, with a reason, to modify a closed acta.
#[utoipa::path(post, path = "/sections/{id}/acta/modifications", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "evaluation", security(("bearer" = [])), request_body = ModificationRequest,
    responses((status = 201, body = ActaModificationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn request_modification(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ModificationRequest>,
) -> Result<(StatusCode, Json<ActaModificationView>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            exceptional::request::<ActaModification>(&state.db, links(&state), &p, id, body)
                .await?,
        ),
    ))
}

/// Modification requests of actas in the caller's reach, newest first.
#[utoipa::path(get, path = "/acta-modifications", tag = "evaluation", security(("bearer" = [])), params(ModificationFilter),
    responses((status = 200, body = inline(Page<ActaModificationView>)), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_modifications(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(filter): ApiQuery<ModificationFilter>,
) -> Result<Json<Page<ActaModificationView>>> {
    Ok(Json(
        exceptional::list_in_reach::<ActaModification>(&state.db, &p, filter).await?,
    ))
}

/// One modification request of an acta, for those who take part in it.
#[utoipa::path(get, path = "/acta-modifications/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, body = ActaModificationView), (status = 404, body = ErrorBody)))]
async fn get_modification(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ActaModificationView>> {
    Ok(Json(
        exceptional::get_in_reach::<ActaModification>(&state.db, &p, id).await?,
    ))
}

/// The Especialista del nivel gives its opinion on a modification of an acta.
#[utoipa::path(post, path = "/acta-modifications/{id}/opinion", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "evaluation", security(("bearer" = [])), request_body = Opinion,
    responses((status = 200, body = ActaModificationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn give_opinion(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Opinion>,
) -> Result<Json<ActaModificationView>> {
    Ok(Json(
        exceptional::give_opinion::<ActaModification>(&state.db, links(&state), &p, id, body)
            .await?,
    ))
}

/// The Especialista SIAGIE UGEL enables a favourably reviewed modification of an acta until a
/// deadline.
#[utoipa::path(post, path = "/acta-modifications/{id}/enable", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "evaluation", security(("bearer" = [])), request_body = Enable,
    responses((status = 200, body = ActaModificationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn enable_modification(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Enable>,
) -> Result<Json<ActaModificationView>> {
    Ok(Json(
        exceptional::enable::<ActaModification>(&state.db, links(&state), &p, id, body).await?,
    ))
}

/// A student's record: every year with a closed acta, from the IE where it was closed (areas,
/// grades, final situation). For its IE's director and the specialists over one of its IEs; any
/// other document is 404 alike.
#[utoipa::path(get, path = "/students/record", tag = "evaluation", security(("bearer" = [])), params(RecordQuery),
    responses((status = 200, body = StudentRecord), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn student_record(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(query): ApiQuery<RecordQuery>,
) -> Result<Json<StudentRecord>> {
    Ok(Json(record::read(&state.db, &p, query).await?))
}

/// The product's address, as the e-mails of a step name it.
fn links(state: &AppState) -> crate::links::Links<'_> {
    crate::links::Links::new(&state.config.auth.public_base_url)
}
