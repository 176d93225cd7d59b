//! HTTP surface of the registry. Handlers check the role and jurisdiction, then call the rules.

use axum::{Json, extract::State, http::StatusCode};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, LikeExpr},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use entity::{
    academic_year, dre, enrollment, grade, non_academic_day, person, school, school_staff, section,
    student, teacher_section, ugel,
};

use super::{dto::*, import, repo, service};
use crate::error::ErrorCode;
use crate::{
    attendance::closed,
    auth::{Action, AuthUser, Target},
    domain::{Level, PersonName, StudentDocument},
    error::{ApiError, ErrorBody, Result},
    http::{ApiJson, ApiPath, ApiQuery, Page, PageParams},
    record::{AuditAction, Change, Event, record},
    state::AppState,
    time::{now, today_lima},
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
        .routes(routes!(import::import_roster))
        .routes(routes!(change_enrollment_status))
        .routes(routes!(list_staff, add_staff))
        .routes(routes!(super::search::find_student))
        .routes(routes!(super::search::unit_accounts))
        .routes(routes!(list_teachers, assign_teacher))
        .routes(routes!(unassign_teacher))
}

/// DREs in the caller's reach.
#[utoipa::path(get, path = "/dres", tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = Vec<DreView>), (status = 401, body = ErrorBody)))]
async fn list_dres(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> Result<Json<Vec<DreView>>> {
    let mut query = dre::Entity::find().order_by_asc(dre::Column::Name);
    if !p.reach(Action::ReadOrganisation).national {
        let ids: Vec<i64> = p
            .assignments
            .iter()
            .filter_map(|a| unit_dre(a.unit))
            .collect();
        query = query.filter(dre::Column::Id.is_in(ids));
    }
    Ok(Json(
        query
            .all(&state.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

fn unit_dre(unit: crate::auth::policy::Unit) -> Option<i64> {
    use crate::auth::policy::Unit;
    match unit {
        Unit::Minedu => None,
        Unit::Dre { dre_id } | Unit::Ugel { dre_id, .. } | Unit::School { dre_id, .. } => {
            Some(dre_id)
        }
    }
}

/// Create a DRE (MINEDU administrator).
#[utoipa::path(post, path = "/dres", tag = "registry", security(("bearer" = [])), request_body = NewDre,
    responses((status = 201, body = DreView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_dre(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<NewDre>,
) -> Result<(StatusCode, Json<DreView>)> {
    p.authorize(Action::ManageOrganisation, &Target::national())?;
    let txn = crate::db::begin(&state.db).await?;
    let created = service::create_dre(&txn, body).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::DreCreated, created.id)
                .by(p.user_id)
                .in_unit(Target::dre(created.id))
                .after(&created),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// UGELs in the caller's reach, optionally of one DRE.
#[utoipa::path(get, path = "/ugels", tag = "registry", security(("bearer" = [])), params(UgelFilter),
    responses((status = 200, body = Vec<UgelView>)))]
async fn list_ugels(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(filter): ApiQuery<UgelFilter>,
) -> Result<Json<Vec<UgelView>>> {
    let reach = p.reach(Action::ReadOrganisation);
    let mut query = ugel::Entity::find().order_by_asc(ugel::Column::Name);
    if !reach.national {
        use crate::auth::policy::Unit;
        let mut any = Condition::any().add(ugel::Column::DreId.is_in(reach.dres.clone()));
        let ugel_ids: Vec<i64> = p
            .assignments
            .iter()
            .filter_map(|a| match a.unit {
                Unit::Ugel { ugel_id, .. } | Unit::School { ugel_id, .. } => Some(ugel_id),
                _ => None,
            })
            .collect();
        any = any.add(ugel::Column::Id.is_in(ugel_ids));
        query = query.filter(any);
    }
    if let Some(dre_id) = filter.dre_id {
        query = query.filter(ugel::Column::DreId.eq(dre_id));
    }
    Ok(Json(
        query
            .all(&state.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Create a UGEL (MINEDU administrator).
#[utoipa::path(post, path = "/ugels", tag = "registry", security(("bearer" = [])), request_body = NewUgel,
    responses((status = 201, body = UgelView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_ugel(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<NewUgel>,
) -> Result<(StatusCode, Json<UgelView>)> {
    p.authorize(Action::ManageOrganisation, &Target::dre(body.dre_id))?;
    let txn = crate::db::begin(&state.db).await?;
    let created = service::create_ugel(&txn, body).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::UgelCreated, created.id)
                .by(p.user_id)
                .in_unit(Target::ugel(created.id, created.dre_id))
                .after(&created),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// IEs in the caller's reach, page by page.
#[utoipa::path(get, path = "/schools", tag = "registry", security(("bearer" = [])), params(SchoolFilter),
    responses((status = 200, body = Page<SchoolView>)))]
async fn list_schools(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(filter): ApiQuery<SchoolFilter>,
) -> Result<Json<Page<SchoolView>>> {
    let mut query =
        school::Entity::find().filter(p.reach(Action::ReadOrganisation).school_condition());
    if let Some(ugel_id) = filter.ugel_id {
        query = query.filter(school::Column::UgelId.eq(ugel_id));
    }
    if let Some(dre_id) = filter.dre_id {
        let ugels: Vec<i64> = ugel::Entity::find()
            .filter(ugel::Column::DreId.eq(dre_id))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|u| u.id)
            .collect();
        query = query.filter(school::Column::UgelId.is_in(ugels));
    }
    if let Some(level) = filter.level.as_deref() {
        let level = Level::parse(level).map_err(|m| ApiError::field("level", m))?;
        query = query.filter(school::Column::Level.eq(level.code()));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = match crate::domain::CodigoModular::parse_with_anexo(q) {
            // `0412345-0`: that IE.
            Ok((code, anexo)) if q.contains('-') => query
                .filter(school::Column::CodigoModular.eq(code.as_str()))
                .filter(school::Column::Anexo.eq(anexo.value())),
            // Part of the name whatever its accents and case, or the start of the código modular.
            _ => query.filter(
                Condition::any()
                    .add(
                        Expr::expr(super::search::folded("\"school\".\"name\"")).like(
                            LikeExpr::new(format!("%{}%", super::search::fold(q))).escape('\\'),
                        ),
                    )
                    .add(if q.bytes().all(|b| b.is_ascii_digit()) {
                        school::Column::CodigoModular.starts_with(q)
                    } else {
                        Expr::val(1).eq(0)
                    }),
            ),
        };
    }
    let params = PageParams {
        page: filter.page,
        per_page: filter.per_page,
    };
    let query = query
        .order_by_asc(school::Column::Name)
        .order_by_asc(school::Column::Id);
    Ok(Json(Page::fetch(&state.db, query, params).await?))
}

/// One IE.
#[utoipa::path(get, path = "/schools/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = SchoolView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_school(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SchoolView>> {
    let scope = repo::school_scope(&state.db, id).await?;
    p.authorize(Action::ReadOrganisation, &scope.target)?;
    Ok(Json(scope.school.into()))
}

/// Create an IE (MINEDU administrator).
#[utoipa::path(post, path = "/schools", tag = "registry", security(("bearer" = [])), request_body = NewSchool,
    responses((status = 201, body = SchoolView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_school(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<NewSchool>,
) -> Result<(StatusCode, Json<SchoolView>)> {
    p.authorize(Action::ManageOrganisation, &Target::national())?;
    let txn = crate::db::begin(&state.db).await?;
    let created = service::create_school(&txn, body).await?;
    let scope = repo::school_scope(&txn, created.id).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::SchoolCreated, created.id)
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&created),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// The grade catalogue.
#[utoipa::path(get, path = "/grades", tag = "registry", security(("bearer" = [])), responses((status = 200, body = Vec<GradeView>)))]
async fn list_grades(
    State(state): State<AppState>,
    _caller: AuthUser,
) -> Result<Json<Vec<GradeView>>> {
    let grades = grade::Entity::find()
        .order_by_asc(grade::Column::Id)
        .all(&state.db)
        .await?;
    Ok(Json(grades.into_iter().map(Into::into).collect()))
}

/// Academic years.
#[utoipa::path(get, path = "/academic-years", tag = "registry", security(("bearer" = [])), responses((status = 200, body = Vec<AcademicYearView>)))]
async fn list_years(
    State(state): State<AppState>,
    _caller: AuthUser,
) -> Result<Json<Vec<AcademicYearView>>> {
    let years = academic_year::Entity::find()
        .order_by_desc(academic_year::Column::Year)
        .all(&state.db)
        .await?;
    Ok(Json(years.into_iter().map(Into::into).collect()))
}

/// Open an academic year (MINEDU administrator).
#[utoipa::path(post, path = "/academic-years", tag = "registry", security(("bearer" = [])), request_body = AcademicYearView,
    responses((status = 201, body = AcademicYearView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_year(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<AcademicYearView>,
) -> Result<(StatusCode, Json<AcademicYearView>)> {
    p.authorize(Action::ManageOrganisation, &Target::national())?;
    let txn = crate::db::begin(&state.db).await?;
    let created = service::create_year(&txn, body.year, body.starts_on, body.ends_on).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::AcademicYearCreated, created.id)
                .by(p.user_id)
                .after(&created),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(created.into())))
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
    let year = repo::year_by_number(&state.db, year).await?;
    let mut scope = Condition::any().add(non_academic_day::Column::Scope.eq("national"));
    if let Some(school_id) = filter.school_id {
        let school = repo::school_scope(&state.db, school_id).await?;
        p.authorize(Action::ReadOrganisation, &school.target)?;
        scope = scope
            .add(non_academic_day::Column::UgelId.eq(school.school.ugel_id))
            .add(non_academic_day::Column::SchoolId.eq(school_id));
    }
    let days = non_academic_day::Entity::find()
        .filter(non_academic_day::Column::AcademicYearId.eq(year.id))
        .filter(scope)
        .order_by_asc(non_academic_day::Column::Date)
        .all(&state.db)
        .await?;
    Ok(Json(days.into_iter().map(Into::into).collect()))
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
    let year = repo::year_by_number(&state.db, year).await?;
    let (scope, target) = match (body.school_id, body.ugel_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::field(
                "school_id",
                "Indique una IE o una UGEL, no ambas.",
            ));
        }
        (Some(school_id), None) => {
            let school = repo::school_scope(&state.db, school_id).await?;
            p.authorize(Action::ManageCalendar, &school.target)?;
            ("school", school.target)
        }
        (None, Some(ugel_id)) => {
            let ugel = ugel::Entity::find_by_id(ugel_id)
                .one(&state.db)
                .await?
                .ok_or_else(|| ApiError::not_found("la UGEL"))?;
            let target = Target::ugel(ugel.id, ugel.dre_id);
            p.authorize(Action::ManageCalendar, &target)?;
            ("ugel", target)
        }
        (None, None) => {
            p.authorize(Action::ManageOrganisation, &Target::national())?;
            ("national", Target::national())
        }
    };
    if body.date < year.starts_on || body.date > year.ends_on {
        return Err(ApiError::field(
            "date",
            "La fecha debe estar dentro del año académico.",
        ));
    }
    let description = body.description.trim();
    if description.is_empty() || description.chars().count() > 120 {
        return Err(ApiError::field(
            "description",
            "Describa el día no académico (hasta 120 caracteres).",
        ));
    }
    let txn = crate::db::begin(&state.db).await?;
    let reach = match (body.school_id, body.ugel_id) {
        (Some(school_id), _) => closed::Sections::School(school_id),
        (None, Some(ugel_id)) => closed::Sections::Ugel(ugel_id),
        (None, None) => closed::Sections::National,
    };
    closed::refuse_if_closed(&txn, reach, body.date, body.date, now()).await?;
    let created = non_academic_day::ActiveModel {
        academic_year_id: Set(year.id),
        date: Set(body.date),
        scope: Set(scope.into()),
        ugel_id: Set(body.ugel_id),
        school_id: Set(body.school_id),
        description: Set(description.to_owned()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let event = Event::new(AuditAction::NonAcademicDayAdded, created.id)
        .by(p.user_id)
        .in_unit(target)
        .after(&created);
    record(
        &txn,
        Change::CalendarDay {
            day: &created,
            event,
        },
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(created.into())))
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
    let scope = repo::school_scope(&state.db, id).await?;
    p.authorize(Action::ReadRoster, &scope.target)?;
    let mut query = section::Entity::find().filter(section::Column::SchoolId.eq(id));
    if let Some(year) = filter.year {
        let year = repo::year_by_number(&state.db, year).await?;
        query = query.filter(section::Column::AcademicYearId.eq(year.id));
    }
    let reach = p.reach(Action::ReadRoster);
    let wider = reach.national || !reach.dres.is_empty() || !reach.ugels.is_empty();
    if let (false, Some(only)) = (wider, reach.sections_only) {
        query = query.filter(section::Column::Id.is_in(only));
    }
    let rows = query
        .find_also_related(grade::Entity)
        .order_by_asc(section::Column::GradeId)
        .order_by_asc(section::Column::Name)
        .all(&state.db)
        .await?;
    let years: Vec<academic_year::Model> = academic_year::Entity::find().all(&state.db).await?;
    let year_of = |id: i64| years.iter().find(|y| y.id == id).map_or(0, |y| y.year);
    Ok(Json(
        rows.into_iter()
            .filter_map(|(s, g)| {
                g.map(|g| SectionView::new(s.clone(), year_of(s.academic_year_id), &g))
            })
            .collect(),
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
    let scope = repo::school_scope(&state.db, id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let year = repo::year_by_number(&state.db, body.academic_year)
        .await
        .map_err(|_| ApiError::field("academic_year", "El año académico no existe."))?;
    let grade = service::grade_for_school(&state.db, body.grade_id, &scope.school).await?;
    let name = body.name.trim().to_uppercase();
    if name.is_empty() || name.chars().count() > 16 || name.chars().any(char::is_control) {
        return Err(ApiError::field(
            "name",
            "El nombre de la sección es obligatorio (hasta 16 letras, números o signos).",
        ));
    }
    let txn = crate::db::begin(&state.db).await?;
    // A section already there breaks the unique rule: `section_exists`.
    let created = section::ActiveModel {
        school_id: Set(id),
        academic_year_id: Set(year.id),
        grade_id: Set(grade.id),
        name: Set(name),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let event = Event::new(AuditAction::SectionCreated, created.id)
        .by(p.user_id)
        .in_unit(scope.target)
        .after(&created);
    let change = Change::SectionCreated {
        school_id: id,
        section_id: created.id,
        event,
    };
    record(&txn, change).await?;
    txn.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(SectionView::new(created, year.year, &grade)),
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
    let scope = repo::section_scope(&state.db, id).await?;
    p.authorize(Action::ReadRoster, &scope.target)?;
    let grade = grade::Entity::find_by_id(scope.section.grade_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("el grado"))?;
    Ok(Json(SectionView::new(
        scope.section,
        scope.year.year,
        &grade,
    )))
}

/// The section's list of students (nómina de matrícula).
#[utoipa::path(get, path = "/sections/{id}/students", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = Vec<RosterEntry>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_roster(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<RosterEntry>>> {
    let scope = repo::section_scope(&state.db, id).await?;
    p.authorize(Action::ReadRoster, &scope.target)?;
    let mut rows = enrollment::Entity::find()
        .filter(enrollment::Column::SectionId.eq(id))
        .find_also_related(student::Entity)
        .all(&state.db)
        .await?;
    crate::attendance::register::sort_students(&mut rows);
    Ok(Json(
        rows.into_iter()
            .filter_map(|(e, s)| s.map(|s| RosterEntry::new(e, s)))
            .collect(),
    ))
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
    let scope = repo::section_scope(&state.db, id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let mut f = crate::error::Fields::default();
    let document = f.check("document", StudentDocument::parse(&body.document));
    let paternal = f.check(
        "paternal_surname",
        PersonName::parse(&body.paternal_surname),
    );
    let maternal = f.check(
        "maternal_surname",
        PersonName::parse(&body.maternal_surname),
    );
    let given = f.check("given_names", PersonName::parse(&body.given_names));
    let sex = body
        .sex
        .as_deref()
        .map(|s| f.check("sex", service::parse_sex(s)));
    f.check(
        "starts_on",
        service::check_start(body.starts_on, &scope.year, today_lima()),
    );
    if body.birth_date.is_some_and(|b| b >= body.starts_on) {
        f.add(
            "birth_date",
            "La fecha de nacimiento debe ser anterior a la matrícula.",
        );
    }
    f.finish()?;
    let (Some(document), Some(paternal), Some(maternal), Some(given)) =
        (document, paternal, maternal, given)
    else {
        unreachable!("checked above")
    };
    let input = service::EnrollmentInput {
        document,
        paternal_surname: paternal,
        maternal_surname: maternal,
        given_names: given,
        birth_date: body.birth_date,
        sex: sex.flatten(),
        starts_on: body.starts_on,
    };
    let txn = crate::db::begin(&state.db).await?;
    let outcome = service::enroll_many(&txn, &scope, std::slice::from_ref(&input)).await?;
    if let Some((_, message)) = outcome.conflicts.into_iter().next() {
        return Err(ApiError::because(ErrorCode::EnrolledElsewhere, message));
    }
    if outcome.already_enrolled == 1 {
        return Err(ApiError::from(ErrorCode::AlreadyEnrolled));
    }
    closed::refuse_if_closed(
        &txn,
        closed::Sections::Ids(vec![id]),
        input.starts_on,
        scope.year.ends_on,
        now(),
    )
    .await?;
    let (e, s) = enrollment::Entity::find()
        .filter(enrollment::Column::SectionId.eq(id))
        .find_also_related(student::Entity)
        .filter(match &input.document {
            StudentDocument::Dni(d) => student::Column::Dni.eq(d.as_str()),
            StudentDocument::Code(c) => student::Column::StudentCode.eq(c.as_str()),
        })
        .one(&txn)
        .await?
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "enrollment vanished inside its transaction"
            ))
        })?;
    let s = s.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("student vanished inside its transaction"))
    })?;
    let event = Event::new(AuditAction::StudentEnrolled, e.id)
        .by(p.user_id)
        .in_unit(scope.target)
        .after(&e);
    let change = Change::Roster {
        school_id: scope.school.id,
        section_id: id,
        enrollment_id: Some(e.id),
        event,
    };
    record(&txn, change).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(RosterEntry::new(e, s))))
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
    let current = enrollment::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("la matrícula"))?;
    let scope = repo::section_scope(&state.db, current.section_id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let (status, date) = service::check_status_change(
        &current,
        &body.status,
        body.status_date,
        &scope.year,
        today_lima(),
    )?;
    // Every day from the earlier of the old and the new date changes in the register.
    let from = [current.status_date, date]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(current.starts_on);
    let txn = crate::db::begin(&state.db).await?;
    closed::refuse_if_closed(
        &txn,
        closed::Sections::Ids(vec![current.section_id]),
        from,
        scope.year.ends_on,
        now(),
    )
    .await?;
    let mut active: enrollment::ActiveModel = current.clone().into();
    active.status = Set(status.code().to_owned());
    active.status_date = Set(date);
    active.updated_at = Set(now());
    let updated = active.update(&txn).await?;
    let event = Event::new(AuditAction::EnrollmentStatusChanged, id)
        .by(p.user_id)
        .in_unit(scope.target)
        .before(&current)
        .after(&updated);
    let change = Change::Roster {
        school_id: scope.school.id,
        section_id: updated.section_id,
        enrollment_id: Some(id),
        event,
    };
    record(&txn, change).await?;
    txn.commit().await?;
    let s = student::Entity::find_by_id(updated.student_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("el estudiante"))?;
    Ok(Json(RosterEntry::new(updated, s)))
}

/// Staff registered in an IE.
#[utoipa::path(get, path = "/schools/{id}/staff", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = Vec<StaffView>), (status = 403, body = ErrorBody)))]
async fn list_staff(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<StaffView>>> {
    let scope = repo::school_scope(&state.db, id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let rows = school_staff::Entity::find()
        .filter(school_staff::Column::SchoolId.eq(id))
        .find_also_related(person::Entity)
        .all(&state.db)
        .await?;
    let mut rows = rows;
    rows.sort_by_cached_key(|(_, p)| {
        p.as_ref()
            .map(|p| {
                crate::domain::person_key(&p.paternal_surname, &p.maternal_surname, &p.given_names)
            })
            .unwrap_or_default()
    });
    // The contact data of someone who also holds a role or is staff outside this IE is not this
    // IE's to show: it is left out.
    let elsewhere: std::collections::HashSet<i64> = entity::user_account::Entity::find()
        .select_only()
        .column(entity::user_account::Column::PersonId)
        .filter(
            entity::user_account::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(entity::role_assignment::Column::UserId)
                    .from(entity::role_assignment::Entity)
                    .and_where(entity::role_assignment::Column::Active.eq(true))
                    .cond_where(
                        Condition::any()
                            .add(entity::role_assignment::Column::SchoolId.ne(id))
                            .add(entity::role_assignment::Column::SchoolId.is_null()),
                    )
                    .to_owned(),
            ),
        )
        .filter(
            entity::user_account::Column::PersonId
                .is_in(rows.iter().map(|(s, _)| s.person_id).collect::<Vec<_>>()),
        )
        .into_tuple::<i64>()
        .all(&state.db)
        .await?
        .into_iter()
        .chain(
            // Or is registered as staff of another IE, whose director entered its contact.
            school_staff::Entity::find()
                .select_only()
                .column(school_staff::Column::PersonId)
                .filter(school_staff::Column::Active.eq(true))
                .filter(school_staff::Column::SchoolId.ne(id))
                .filter(
                    school_staff::Column::PersonId
                        .is_in(rows.iter().map(|(s, _)| s.person_id).collect::<Vec<_>>()),
                )
                .into_tuple::<i64>()
                .all(&state.db)
                .await?,
        )
        .collect();
    Ok(Json(
        rows.into_iter()
            .filter_map(|(s, p)| {
                let mut view = StaffView::new(p?, s.position, s.active);
                if elsewhere.contains(&view.person_id) {
                    view.email = None;
                    view.cell_phone = None;
                }
                Some(view)
            })
            .collect(),
    ))
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
    let scope = repo::school_scope(&state.db, id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let txn = crate::db::begin(&state.db).await?;
    let sent = service::add_staff(&txn, id, body).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::StaffRegistered, sent.person_id)
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&sent),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(sent)))
}

/// Teachers assigned to a section.
#[utoipa::path(get, path = "/sections/{id}/teachers", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = Vec<StaffView>), (status = 403, body = ErrorBody)))]
async fn list_teachers(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<StaffView>>> {
    let scope = repo::section_scope(&state.db, id).await?;
    p.authorize(Action::ReadRoster, &scope.target)?;
    let rows = teacher_section::Entity::find()
        .filter(teacher_section::Column::SectionId.eq(id))
        .filter(teacher_section::Column::Active.eq(true))
        .find_also_related(person::Entity)
        .all(&state.db)
        .await?;
    let mut rows = rows;
    rows.sort_by_cached_key(|(_, p)| {
        p.as_ref()
            .map(|p| {
                crate::domain::person_key(&p.paternal_surname, &p.maternal_surname, &p.given_names)
            })
            .unwrap_or_default()
    });
    Ok(Json(
        rows.into_iter()
            .filter_map(|(_, p)| p.map(|p| StaffView::new(p, "teacher".into(), true)))
            .collect(),
    ))
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
    let scope = repo::section_scope(&state.db, id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let staff = school_staff::Entity::find()
        .filter(school_staff::Column::SchoolId.eq(scope.school.id))
        .filter(school_staff::Column::PersonId.eq(body.person_id))
        .filter(school_staff::Column::Active.eq(true))
        .one(&state.db)
        .await?;
    if staff.is_none() {
        return Err(ApiError::field(
            "person_id",
            "La persona no está registrada como personal activo de la IE.",
        ));
    }
    let txn = crate::db::begin(&state.db).await?;
    let existing = teacher_section::Entity::find()
        .filter(teacher_section::Column::SectionId.eq(id))
        .filter(teacher_section::Column::PersonId.eq(body.person_id))
        .one(&txn)
        .await?;
    let row_id = match existing {
        Some(row) => {
            let mut active: teacher_section::ActiveModel = row.into();
            active.active = Set(true);
            active.update(&txn).await?.id
        }
        None => {
            teacher_section::ActiveModel {
                section_id: Set(id),
                person_id: Set(body.person_id),
                active: Set(true),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?
            .id
        }
    };
    let event = Event::new(AuditAction::TeacherAssigned, row_id)
        .by(p.user_id)
        .in_unit(scope.target);
    let change = Change::Teachers {
        school_id: scope.school.id,
        section_id: id,
        row_id,
        event,
    };
    record(&txn, change).await?;
    txn.commit().await?;
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
    let scope = repo::section_scope(&state.db, id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let row = teacher_section::Entity::find()
        .filter(teacher_section::Column::SectionId.eq(id))
        .filter(teacher_section::Column::PersonId.eq(person_id))
        .filter(teacher_section::Column::Active.eq(true))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("la asignación del docente"))?;
    let txn = crate::db::begin(&state.db).await?;
    let mut active: teacher_section::ActiveModel = row.clone().into();
    active.active = Set(false);
    active.update(&txn).await?;
    let event = Event::new(AuditAction::TeacherUnassigned, row.id)
        .by(p.user_id)
        .in_unit(scope.target);
    let change = Change::Teachers {
        school_id: scope.school.id,
        section_id: id,
        row_id: row.id,
        event,
    };
    record(&txn, change).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
