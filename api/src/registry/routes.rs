//! HTTP surface of the registry: each handler extracts, calls the service of its resource
//! (`units`, `sections`, `enrollments`, `staff`, `import`, `search`) and answers.

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, Request, State},
    http::StatusCode,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    dto::*,
    enrollments, import,
    regularization::{
        self, RegularizationDecision, RegularizationFilter, RegularizationRequest,
        RegularizationView,
    },
    search::{self, StudentFound, StudentQuery, UnitAccount, UnitQuery},
    sections, staff, units,
};
use crate::{
    auth::AuthUser,
    error::{ErrorBody, Result},
    http::{ApiJson, ApiPath, ApiQuery, Page, extract::body_rejection},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_dres, create_dre))
        .routes(routes!(list_ugels, create_ugel))
        .routes(routes!(list_schools, create_school))
        .routes(routes!(get_school))
        .routes(routes!(list_grades))
        .routes(routes!(list_years, create_year))
        .routes(routes!(get_calendar, add_non_academic_day))
        .routes(routes!(list_sections, create_section))
        .routes(routes!(get_section))
        .routes(routes!(list_roster, enroll))
        .routes(routes!(import_roster))
        .routes(routes!(change_enrollment_status))
        .routes(routes!(list_staff, add_staff))
        .routes(routes!(find_student))
        .routes(routes!(unit_accounts))
        .routes(routes!(list_teachers, assign_teacher))
        .routes(routes!(unassign_teacher))
        .routes(routes!(request_regularization))
        .routes(routes!(list_regularizations))
        .routes(routes!(get_regularization))
        .routes(routes!(decide_regularization))
}

/// Ask for the years recorded in a section after its academic year ended to count (the director,
/// once the acta is closed): the Especialista SIAGIE of the UGEL decides, or the unit above where
/// the UGEL has nobody in that role.
#[utoipa::path(post, path = "/sections/{id}/regularization", tag = "registry", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Identificador del recurso")), request_body = RegularizationRequest,
    responses((status = 201, body = RegularizationView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn request_regularization(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RegularizationRequest>,
) -> Result<(StatusCode, Json<RegularizationView>)> {
    Ok((
        StatusCode::CREATED,
        Json(regularization::request(&state.db, &p, id, body).await?),
    ))
}

/// Regularizations of the IEs whose records the caller reads, newest first.
#[utoipa::path(get, path = "/regularizations", tag = "registry", security(("bearer" = [])), params(RegularizationFilter),
    responses((status = 200, body = Vec<RegularizationView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_regularizations(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(filter): ApiQuery<RegularizationFilter>,
) -> Result<Json<Vec<RegularizationView>>> {
    Ok(Json(regularization::list(&state.db, &p, filter).await?))
}

/// One regularization.
#[utoipa::path(get, path = "/regularizations/{id}", tag = "registry", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Identificador del recurso")),
    responses((status = 200, body = RegularizationView), (status = 404, body = ErrorBody)))]
async fn get_regularization(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RegularizationView>> {
    Ok(Json(regularization::get(&state.db, &p, id).await?))
}

/// Approve or reject a regularization (the Especialista SIAGIE of the IE's UGEL; of the DRE, or
/// MINEDU, where the UGEL has nobody in that role).
#[utoipa::path(post, path = "/regularizations/{id}/decision", tag = "registry", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Identificador del recurso")), request_body = RegularizationDecision,
    responses((status = 200, body = RegularizationView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn decide_regularization(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RegularizationDecision>,
) -> Result<Json<RegularizationView>> {
    Ok(Json(regularization::decide(&state.db, &p, id, body).await?))
}

/// DREs in the caller's reach.
#[utoipa::path(get, path = "/dres", tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = Vec<DreView>), (status = 401, body = ErrorBody)))]
async fn list_dres(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> Result<Json<Vec<DreView>>> {
    Ok(Json(units::list_dres(&state.db, &p).await?))
}

/// Create a DRE (MINEDU administrator).
#[utoipa::path(post, path = "/dres", tag = "registry", security(("bearer" = [])), request_body = NewDre,
    responses((status = 201, body = DreView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_dre(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<NewDre>,
) -> Result<(StatusCode, Json<DreView>)> {
    Ok((
        StatusCode::CREATED,
        Json(units::create_dre(&state.db, &p, body).await?),
    ))
}

/// UGELs in the caller's reach, optionally of one DRE.
#[utoipa::path(get, path = "/ugels", tag = "registry", security(("bearer" = [])), params(UgelFilter),
    responses((status = 200, body = Vec<UgelView>)))]
async fn list_ugels(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(filter): ApiQuery<UgelFilter>,
) -> Result<Json<Vec<UgelView>>> {
    Ok(Json(units::list_ugels(&state.db, &p, filter).await?))
}

/// Create a UGEL (MINEDU administrator).
#[utoipa::path(post, path = "/ugels", tag = "registry", security(("bearer" = [])), request_body = NewUgel,
    responses((status = 201, body = UgelView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_ugel(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<NewUgel>,
) -> Result<(StatusCode, Json<UgelView>)> {
    Ok((
        StatusCode::CREATED,
        Json(units::create_ugel(&state.db, &p, body).await?),
    ))
}

/// IEs in the caller's reach, page by page.
#[utoipa::path(get, path = "/schools", tag = "registry", security(("bearer" = [])), params(SchoolFilter),
    responses((status = 200, body = Page<SchoolView>)))]
async fn list_schools(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(filter): ApiQuery<SchoolFilter>,
) -> Result<Json<Page<SchoolView>>> {
    Ok(Json(units::list_schools(&state.db, &p, filter).await?))
}

/// One IE.
#[utoipa::path(get, path = "/schools/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = SchoolView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_school(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SchoolView>> {
    Ok(Json(units::get_school(&state.db, &p, id).await?))
}

/// Create an IE (MINEDU administrator).
#[utoipa::path(post, path = "/schools", tag = "registry", security(("bearer" = [])), request_body = NewSchool,
    responses((status = 201, body = SchoolView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_school(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<NewSchool>,
) -> Result<(StatusCode, Json<SchoolView>)> {
    Ok((
        StatusCode::CREATED,
        Json(units::create_school(&state.db, &p, body).await?),
    ))
}

/// The grade catalogue.
#[utoipa::path(get, path = "/grades", tag = "registry", security(("bearer" = [])), responses((status = 200, body = Vec<GradeView>)))]
async fn list_grades(
    State(state): State<AppState>,
    _caller: AuthUser,
) -> Result<Json<Vec<GradeView>>> {
    Ok(Json(units::list_grades(&state.db).await?))
}

/// Academic years.
#[utoipa::path(get, path = "/academic-years", tag = "registry", security(("bearer" = [])), responses((status = 200, body = Vec<AcademicYearView>)))]
async fn list_years(
    State(state): State<AppState>,
    _caller: AuthUser,
) -> Result<Json<Vec<AcademicYearView>>> {
    Ok(Json(units::list_years(&state.db).await?))
}

/// Open an academic year (MINEDU administrator).
#[utoipa::path(post, path = "/academic-years", tag = "registry", security(("bearer" = [])), request_body = AcademicYearView,
    responses((status = 201, body = AcademicYearView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_year(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<AcademicYearView>,
) -> Result<(StatusCode, Json<AcademicYearView>)> {
    Ok((
        StatusCode::CREATED,
        Json(units::create_year(&state.db, &p, body).await?),
    ))
}

/// Non-academic days of a year: national ones, plus those of the IE and its UGEL when
/// `school_id` is given.
#[utoipa::path(get, path = "/academic-years/{year}/calendar", tag = "registry", security(("bearer" = [])), params(("year" = i32, Path, description = "Año (p. ej. 2026)"), CalendarFilter),
    responses((status = 200, body = Vec<NonAcademicDayView>), (status = 404, body = ErrorBody)))]
async fn get_calendar(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(year): ApiPath<i32>,
    ApiQuery(filter): ApiQuery<CalendarFilter>,
) -> Result<Json<Vec<NonAcademicDayView>>> {
    Ok(Json(units::calendar(&state.db, &p, year, filter).await?))
}

/// Add a non-academic day: national (administrator), for a UGEL (its Especialista SIAGIE) or
/// for an IE (its director).
#[utoipa::path(post, path = "/academic-years/{year}/calendar", params(("year" = i32, Path, description = "Año (p. ej. 2026)")), tag = "registry", security(("bearer" = [])), request_body = NewNonAcademicDay,
    responses((status = 201, body = NonAcademicDayView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_non_academic_day(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(year): ApiPath<i32>,
    ApiJson(body): ApiJson<NewNonAcademicDay>,
) -> Result<(StatusCode, Json<NonAcademicDayView>)> {
    Ok((
        StatusCode::CREATED,
        Json(units::add_non_academic_day(&state.db, &p, year, body).await?),
    ))
}

/// Sections of an IE (a teacher sees the ones it teaches).
#[utoipa::path(get, path = "/schools/{id}/sections", tag = "registry", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso"), SectionFilter),
    responses((status = 200, body = Vec<SectionView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_sections(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(filter): ApiQuery<SectionFilter>,
) -> Result<Json<Vec<SectionView>>> {
    Ok(Json(
        sections::list_sections(&state.db, &p, id, filter).await?,
    ))
}

/// Create a section in an IE (its director, or the administrator).
#[utoipa::path(post, path = "/schools/{id}/sections", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])), request_body = NewSection,
    responses((status = 201, body = SectionView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_section(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewSection>,
) -> Result<(StatusCode, Json<SectionView>)> {
    Ok((
        StatusCode::CREATED,
        Json(sections::create_section(&state.db, &p, id, body).await?),
    ))
}

/// One section.
#[utoipa::path(get, path = "/sections/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = SectionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_section(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SectionView>> {
    Ok(Json(sections::get_section(&state.db, &p, id).await?))
}

/// Teachers assigned to a section.
#[utoipa::path(get, path = "/sections/{id}/teachers", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = Vec<StaffView>), (status = 403, body = ErrorBody)))]
async fn list_teachers(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<StaffView>>> {
    Ok(Json(sections::list_teachers(&state.db, &p, id).await?))
}

/// Assign a teacher registered in the IE to the section (its director).
#[utoipa::path(post, path = "/sections/{id}/teachers", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])), request_body = TeacherAssignment,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn assign_teacher(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TeacherAssignment>,
) -> Result<StatusCode> {
    sections::assign_teacher(&state.db, &p, id, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// End a teacher's assignment to a section (its director).
#[utoipa::path(delete, path = "/sections/{id}/teachers/{person_id}", params(("id" = i64, Path, description = "Identificador del recurso"), ("person_id" = i64, Path, description = "Identificador de la persona")), tag = "registry", security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unassign_teacher(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, person_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode> {
    sections::unassign_teacher(&state.db, &p, id, person_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The section's list of students (nómina de matrícula).
#[utoipa::path(get, path = "/sections/{id}/students", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = Vec<RosterEntry>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_roster(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<RosterEntry>>> {
    Ok(Json(enrollments::roster(&state.db, &p, id).await?))
}

/// Enroll one student in the section (creating the student if its document is new).
#[utoipa::path(post, path = "/sections/{id}/students", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])), request_body = NewEnrollment,
    responses((status = 201, body = RosterEntry), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn enroll(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewEnrollment>,
) -> Result<(StatusCode, Json<RosterEntry>)> {
    Ok((
        StatusCode::CREATED,
        Json(enrollments::enroll(&state.db, &p, id, body).await?),
    ))
}

/// Record a traslado, retiro or fallecimiento (or undo it).
#[utoipa::path(patch, path = "/enrollments/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])), request_body = EnrollmentStatusChange,
    responses((status = 200, body = RosterEntry), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_enrollment_status(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<EnrollmentStatusChange>,
) -> Result<Json<RosterEntry>> {
    Ok(Json(
        enrollments::change_status(&state.db, &p, id, body).await?,
    ))
}

/// Staff registered in an IE.
#[utoipa::path(get, path = "/schools/{id}/staff", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = Vec<StaffView>), (status = 403, body = ErrorBody)))]
async fn list_staff(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<StaffView>>> {
    Ok(Json(staff::list_staff(&state.db, &p, id).await?))
}

/// Register a person as staff of the IE (its director).
#[utoipa::path(post, path = "/schools/{id}/staff", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])), request_body = NewStaff,
    responses((status = 201, body = StaffView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_staff(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewStaff>,
) -> Result<(StatusCode, Json<StaffView>)> {
    Ok((
        StatusCode::CREATED,
        Json(staff::add_staff(&state.db, &p, id, body).await?),
    ))
}

/// Import a section's roster from CSV (UTF-8, comma or semicolon separated, with a header row:
/// `documento,apellido_paterno,apellido_materno,nombres,fecha_nacimiento,sexo,fecha_matricula`).
#[utoipa::path(post, path = "/sections/{id}/roster", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, body = ImportReport),
        (status = 422, description = "`roster_invalid`: `error.details` lists every bad row", body = ErrorBody),
    ))]
async fn import_roster(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    request: Request,
) -> Result<Json<ImportReport>> {
    let scope = import::section_for_import(&state.db, &p, id).await?;
    let bytes = Bytes::from_request(request, &state)
        .await
        .map_err(body_rejection)?;
    Ok(Json(
        import::import_roster(&state.db, &p, scope, &bytes).await?,
    ))
}

/// Find a student by DNI or código de estudiante. Only a student with an enrollment in the
/// caller's reach is answered (a teacher: in the sections it teaches), with those enrollments; any
/// other document answers an empty list, whether or not it exists.
#[utoipa::path(get, path = "/students", tag = "registry", security(("bearer" = [])), params(StudentQuery),
    responses((status = 200, body = Vec<StudentFound>), (status = 422, body = ErrorBody)))]
async fn find_student(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(query): ApiQuery<StudentQuery>,
) -> Result<Json<Vec<StudentFound>>> {
    Ok(Json(search::find_student(&state.db, &p, query).await?))
}

/// The accounts with an active role held in exactly this unit (an IE, a UGEL or a DRE), with
/// those roles, in Spanish order of their names: what a baja needs.
#[utoipa::path(get, path = "/accounts", tag = "provisioning", security(("bearer" = [])), params(UnitQuery),
    responses((status = 200, body = Vec<UnitAccount>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unit_accounts(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(query): ApiQuery<UnitQuery>,
) -> Result<Json<Vec<UnitAccount>>> {
    Ok(Json(search::unit_accounts(&state.db, &p, query).await?))
}
