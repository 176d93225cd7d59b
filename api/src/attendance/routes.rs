//! HTTP surface of the monthly register for the web: read, write cells, complete up to a day,
//! close, held marks, exceptional modification, and the list of states.

use axum::{Json, extract::State as AxumState, http::StatusCode};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use mobile_contract::{AttendanceStatus, Outcome};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use entity::{attendance_register, held_mark, register_modification};

use super::{
    calendar::SchoolCalendar,
    codes,
    engine::{self, Incoming, Source},
    places::Places,
    register::{self, Register, State},
};
use crate::error::ErrorCode;
use crate::{
    auth::{Action, AuthUser, Principal},
    error::{ApiError, ErrorBody, Result},
    http::{ApiJson, ApiPath},
    record::{AuditAction, Change, Event, record},
    registry::{SectionScope, section_scope},
    state::AppState,
    time::{LIMA, now},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_register))
        .routes(routes!(write_cells))
        .routes(routes!(complete))
        .routes(routes!(close))
        .routes(routes!(list_held))
        .routes(routes!(apply_held))
        .routes(routes!(request_modification))
        .routes(routes!(give_opinion))
        .routes(routes!(enable_modification))
        .routes(routes!(super::modification::list))
        .routes(routes!(super::modification::get))
        .routes(routes!(list_states))
        .routes(routes!(register_pdf))
        .routes(routes!(super::export::export))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatesFilter {
    pub school_id: Option<i64>,
    pub ugel_id: Option<i64>,
    pub dre_id: Option<i64>,
    pub year: i32,
    pub month: u32,
    /// Only registers in this state: `sin_datos`, `parcial`, `completo` or `cerrado`.
    pub state: Option<String>,
    /// With `per_page`, one page of the list (the whole count in `X-Total-Count`).
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// The state of one section's register.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateRow {
    pub school_id: i64,
    pub school_code: String,
    pub school_name: String,
    pub section_id: i64,
    pub grade: String,
    pub section: String,
    pub state: State,
    pub modification_until: Option<DateTime<Utc>>,
}

/// Register states of every section of an IE, a UGEL or a DRE for a month.
#[utoipa::path(get, path = "/registers", tag = "attendance", security(("bearer" = [])), params(StatesFilter),
    responses((status = 200, body = Vec<StateRow>), (status = 403, body = ErrorBody)))]
async fn list_states(
    AxumState(state): AxumState<AppState>,
    AuthUser(p): AuthUser,
    crate::http::ApiQuery(filter): crate::http::ApiQuery<StatesFilter>,
) -> Result<(axum::http::HeaderMap, Json<Vec<StateRow>>)> {
    use super::overview;
    let (target, schools) =
        overview::schools_of_unit(&state.db, filter.school_id, filter.ugel_id, filter.dre_id)
            .await?;
    p.authorize(Action::ReadRoster, &target)?;
    let schools = overview::readable(&p, &target, schools);
    let (year, _, _) = overview::year_of_month(&state.db, filter.year, filter.month).await?;
    let sections = overview::readable_sections(
        &p,
        &target,
        &schools,
        overview::sections_with_calendars(&state.db, &schools, &year).await?,
    );
    let states =
        register::states(&state.db, &sections, &[(filter.year, filter.month)], now()).await?;
    let grades: std::collections::HashMap<i64, String> = entity::grade::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let schools: std::collections::HashMap<i64, &entity::school::Model> =
        schools.iter().map(|s| (s.id, s)).collect();
    let sections: std::collections::HashMap<i64, &entity::section::Model> =
        sections.iter().map(|(s, _)| (s.id, s)).collect();
    let wanted = match filter.state.as_deref() {
        None => None,
        Some(code) => Some(
            [
                State::SinDatos,
                State::Parcial,
                State::Completo,
                State::Cerrado,
            ]
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or_else(|| {
                ApiError::field(
                    "state",
                    "El estado debe ser sin_datos, parcial, completo o cerrado.",
                )
            })?,
        ),
    };
    let rows: Vec<StateRow> = states
        .into_iter()
        .filter(|(_, _, _, state, _)| wanted.is_none_or(|w| w == *state))
        .filter_map(|(section_id, _, _, state, until)| {
            let section = sections.get(&section_id)?;
            let school = schools.get(&section.school_id)?;
            Some(StateRow {
                school_id: school.id,
                school_code: format!("{}-{}", school.codigo_modular, school.anexo),
                school_name: school.name.clone(),
                section_id,
                grade: grades.get(&section.grade_id).cloned().unwrap_or_default(),
                section: section.name.clone(),
                state,
                modification_until: until,
            })
        })
        .collect();
    let (headers, rows) = crate::http::page::slice(
        rows,
        crate::http::PageParams {
            page: filter.page,
            per_page: filter.per_page,
        },
    )?;
    Ok((headers, Json(rows)))
}

type RegisterPath = ApiPath<(i64, i32, u32)>;

async fn load(
    state: &AppState,
    p: &Principal,
    section_id: i64,
    action: Action,
) -> Result<(SectionScope, SchoolCalendar)> {
    let scope = section_scope(&state.db, section_id).await?;
    p.authorize(action, &scope.target)?;
    let calendar = SchoolCalendar::load(&state.db, &scope.school, scope.year.clone()).await?;
    Ok((scope, calendar))
}

/// The register of a section for a month, as the grid of seed 000.
#[utoipa::path(get, path = "/sections/{id}/registers/{year}/{month}", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])),
    responses((status = 200, body = Register), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_register(
    AxumState(state): AxumState<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
) -> Result<Json<Register>> {
    let (scope, calendar) = load(&state, &p, id, Action::ReadRoster).await?;
    Ok(Json(
        register::build(&state.db, &scope, &calendar, year, month, now()).await?,
    ))
}

/// The register as a PDF (A4 landscape), to print, sign and seal.
#[utoipa::path(get, path = "/sections/{id}/registers/{year}/{month}/pdf", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])),
    responses((status = 200, description = "PDF", content_type = "application/pdf"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn register_pdf(
    AxumState(state): AxumState<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
) -> Result<axum::response::Response> {
    let (scope, calendar) = load(&state, &p, id, Action::ReadRoster).await?;
    let at = now();
    let register = register::build(&state.db, &scope, &calendar, year, month, at).await?;
    let bytes = tokio::task::spawn_blocking(move || super::pdf::render(&register, at))
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

/// One cell written from the web register.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CellInput {
    pub student_id: i64,
    pub date: NaiveDate,
    /// `asistio`, `falta`, `tardanza`, `falta_justificada` or `tardanza_justificada`.
    pub status: String,
}

/// `PUT …/cells` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CellsInput {
    pub cells: Vec<CellInput>,
}

/// A cell that could not be saved.
#[derive(Debug, Serialize, ToSchema)]
pub struct CellError {
    pub student_id: i64,
    pub date: NaiveDate,
    pub code: String,
    pub message: String,
}

/// Saves cells of the register (all or nothing). A closed register refuses changes unless an
/// exceptional modification is open, and then every change is audited.
async fn save_cells(
    txn: &DatabaseTransaction,
    places: &Places,
    p: &Principal,
    scope: &SectionScope,
    year: i32,
    month: u32,
    cells: &[(i64, NaiveDate, AttendanceStatus)],
) -> Result<usize> {
    let at = now();
    let register = register_row(txn, scope.section.id, year, month).await?;
    if register.as_ref().is_some_and(|r| engine::is_locked(r, at)) {
        return Err(ApiError::from(ErrorCode::RegisterClosed));
    }
    let audited = register.as_ref().is_some_and(|r| r.closed_at.is_some());
    let before = if audited {
        Some(values_before(txn, scope.section.id, cells).await?)
    } else {
        None
    };
    let recorded = at.with_timezone(&LIMA).fixed_offset();
    let incoming: Vec<Incoming> = cells
        .iter()
        .map(|(student, date, status)| Incoming {
            mark_id: Uuid::new_v4(),
            section_id: Some(scope.section.id),
            student_id: Some(*student),
            date: *date,
            status: Some(*status),
            recorded_at: recorded,
            note: None,
        })
        .collect();
    let results = engine::apply(txn, places, p, Source::Web, &incoming, at).await?;
    let errors: Vec<CellError> = results
        .iter()
        .zip(cells)
        .filter(|(r, _)| r.outcome == Outcome::Rejected)
        .map(|(r, (student, date, _))| CellError {
            student_id: *student,
            date: *date,
            code: r
                .code
                .map(|c| {
                    serde_json::to_value(c)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .unwrap_or_default(),
            message: r.message.clone().unwrap_or_default(),
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::from(ErrorCode::InvalidCells)
            .with_details(serde_json::json!({ "cells": errors })));
    }
    if let Some(before) = before {
        let cell = |s: &i64, d: &NaiveDate, status: Option<&str>| serde_json::json!({"student_id": s, "date": d, "status": status});
        record(txn, Change::Audited(Event::new(AuditAction::RegisterModified, register.as_ref().map(|r| r.id),
            )
            .by(p.user_id)
            .in_unit(scope.target)
            .before(&serde_json::json!({
                "year": year, "month": month,
                "cells": cells.iter().map(|(s, d, _)| cell(s, d, before.get(&(*s, *d)).copied())).collect::<Vec<_>>()
            }))
            .after(&serde_json::json!({
                "year": year, "month": month,
                "cells": cells.iter().map(|(s, d, st)| cell(s, d, Some(st.code()))).collect::<Vec<_>>()
            }))))
        .await?;
    }
    Ok(cells.len())
}

/// The codes that stand in some cells of a section, by student and day, before they change.
async fn values_before(
    db: &impl sea_orm::ConnectionTrait,
    section_id: i64,
    cells: &[(i64, NaiveDate, AttendanceStatus)],
) -> Result<std::collections::HashMap<(i64, NaiveDate), &'static str>> {
    let students: Vec<i64> = cells.iter().map(|(s, _, _)| *s).collect();
    let dates: Vec<NaiveDate> = cells.iter().map(|(_, d, _)| *d).collect();
    let of_enrollment: std::collections::HashMap<i64, i64> = entity::enrollment::Entity::find()
        .filter(entity::enrollment::Column::SectionId.eq(section_id))
        .filter(entity::enrollment::Column::StudentId.is_in(students))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.student_id))
        .collect();
    let mut values = std::collections::HashMap::new();
    for day in entity::section_day::Entity::find()
        .filter(entity::section_day::Column::SectionId.eq(section_id))
        .filter(entity::section_day::Column::Date.is_in(dates))
        .all(db)
        .await?
    {
        for cell in super::store::cells(&day)? {
            if let (Some(student), Some(status)) = (
                of_enrollment.get(&cell.enrollment_id),
                codes::from_db(cell.status),
            ) {
                values.insert((*student, day.date), status.code());
            }
        }
    }
    Ok(values)
}

async fn register_row(
    db: &impl sea_orm::ConnectionTrait,
    section_id: i64,
    year: i32,
    month: u32,
) -> Result<Option<attendance_register::Model>> {
    Ok(attendance_register::Entity::find()
        .filter(attendance_register::Column::SectionId.eq(section_id))
        .filter(attendance_register::Column::Year.eq(year))
        .filter(attendance_register::Column::Month.eq(month as i16))
        .one(db)
        .await?)
}

fn check_month(year: i32, month: u32, date: NaiveDate) -> Result<()> {
    if date.year() != year || date.month() != month {
        return Err(ApiError::field(
            "cells",
            "Todas las celdas deben pertenecer al mes del registro.",
        ));
    }
    Ok(())
}

/// Write cells of the register (the teacher of the section or the director).
#[utoipa::path(put, path = "/sections/{id}/registers/{year}/{month}/cells", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])), request_body = CellsInput,
    responses((status = 200, body = Register), (status = 409, description = "`register_closed`", body = ErrorBody), (status = 422, description = "`invalid_cells`", body = ErrorBody)))]
async fn write_cells(
    AxumState(state): AxumState<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
    ApiJson(body): ApiJson<CellsInput>,
) -> Result<Json<Register>> {
    let (scope, calendar) = load(&state, &p, id, Action::TakeAttendance).await?;
    if body.cells.is_empty() || body.cells.len() > 2000 {
        return Err(ApiError::field("cells", "Envíe entre 1 y 2000 celdas."));
    }
    let mut cells = Vec::with_capacity(body.cells.len());
    for cell in &body.cells {
        check_month(year, month, cell.date)?;
        let status = AttendanceStatus::parse(&cell.status).ok_or_else(|| {
            ApiError::field(
                "status",
                format!("Código de asistencia no válido: «{}».", cell.status),
            )
        })?;
        cells.push((cell.student_id, cell.date, status));
    }
    let txn = crate::db::begin(&state.db).await?;
    save_cells(&txn, &state.places, &p, &scope, year, month, &cells).await?;
    txn.commit().await?;
    Ok(Json(
        register::build(&state.db, &scope, &calendar, year, month, now()).await?,
    ))
}

/// `POST …/complete` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CompleteInput {
    /// Fill every empty academic cell from the first day of the month up to this day.
    pub up_to_day: u32,
}

/// "Completar asistencias hasta día N": every empty academic cell up to day N becomes `asistio`.
#[utoipa::path(post, path = "/sections/{id}/registers/{year}/{month}/complete", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])), request_body = CompleteInput,
    responses((status = 200, body = Register), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn complete(
    AxumState(state): AxumState<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
    ApiJson(body): ApiJson<CompleteInput>,
) -> Result<Json<Register>> {
    let (scope, calendar) = load(&state, &p, id, Action::TakeAttendance).await?;
    let until = NaiveDate::from_ymd_opt(year, month, body.up_to_day)
        .ok_or_else(|| ApiError::field("up_to_day", "El día no existe en ese mes."))?;
    let today = now().with_timezone(&LIMA).date_naive();
    if until > today {
        return Err(ApiError::field(
            "up_to_day",
            "No se puede completar asistencias de días futuros.",
        ));
    }
    let current = register::build(&state.db, &scope, &calendar, year, month, now()).await?;
    if current.state == State::Cerrado {
        return Err(ApiError::from(ErrorCode::RegisterClosed));
    }
    let cells: Vec<(i64, NaiveDate, AttendanceStatus)> = current
        .rows
        .iter()
        .flat_map(|row| {
            row.cells
                .iter()
                .filter(|c| c.reason == Some("pendiente") && c.date <= until)
                .map(move |c| (row.student_id, c.date, AttendanceStatus::Asistio))
        })
        .collect();
    if !cells.is_empty() {
        let txn = crate::db::begin(&state.db).await?;
        save_cells(&txn, &state.places, &p, &scope, year, month, &cells).await?;
        txn.commit().await?;
    }
    Ok(Json(
        register::build(&state.db, &scope, &calendar, year, month, now()).await?,
    ))
}

/// Close a complete register (the director). An incomplete one is refused with what is missing.
#[utoipa::path(post, path = "/sections/{id}/registers/{year}/{month}/close", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])),
    responses((status = 200, body = Register), (status = 409, description = "`register_incomplete` (with `details.missing`) or `register_closed`", body = ErrorBody)))]
async fn close(
    AxumState(state): AxumState<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
) -> Result<Json<Register>> {
    let (scope, calendar) = load(&state, &p, id, Action::CloseRegister).await?;
    let at = now();
    let current = register::build(&state.db, &scope, &calendar, year, month, at).await?;
    match current.state {
        State::Cerrado => {
            return Err(ApiError::from(ErrorCode::RegisterClosed));
        }
        State::Completo => {}
        State::SinDatos | State::Parcial => {
            let missing: Vec<_> = current
                .rows
                .iter()
                .filter_map(|row| {
                    let dates: Vec<NaiveDate> = row.cells.iter().filter(|c| c.reason == Some("pendiente")).map(|c| c.date).collect();
                    (!dates.is_empty()).then(|| serde_json::json!({"student_id": row.student_id, "full_name": row.full_name, "dates": dates}))
                })
                .collect();
            return Err(ApiError::because(
                ErrorCode::RegisterIncomplete,
                if current.missing_cells == 1 {
                    "El registro no está completo: falta 1 celda de un día académico.".to_owned()
                } else {
                    format!(
                        "El registro no está completo: faltan {} celdas de días académicos.",
                        current.missing_cells
                    )
                },
            )
            .with_details(serde_json::json!({ "missing": missing })));
        }
    }
    let txn = crate::db::begin(&state.db).await?;
    let row = match register_row(&txn, id, year, month).await? {
        Some(existing) => {
            let mut active: attendance_register::ActiveModel = existing.into();
            active.closed_at = Set(Some(at));
            active.closed_by = Set(Some(p.user_id));
            active.modification_until = Set(None);
            active.update(&txn).await?
        }
        None => {
            attendance_register::ActiveModel {
                section_id: Set(id),
                year: Set(year),
                month: Set(month as i16),
                closed_at: Set(Some(at)),
                closed_by: Set(Some(p.user_id)),
                modification_until: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    close_open_modifications(&txn, row.id, at).await?;
    let event = Event::new(AuditAction::RegisterClosed, row.id)
        .by(p.user_id)
        .in_unit(scope.target)
        .after(&row);
    let change = Change::RegisterState {
        school_id: scope.school.id,
        section_id: id,
        register_id: row.id,
        event,
    };
    record(&txn, change).await?;
    txn.commit().await?;
    Ok(Json(
        register::build(&state.db, &scope, &calendar, year, month, now()).await?,
    ))
}

async fn close_open_modifications(
    txn: &DatabaseTransaction,
    register_id: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    let open = register_modification::Entity::find()
        .filter(register_modification::Column::RegisterId.eq(register_id))
        .filter(register_modification::Column::Status.eq("enabled"))
        .all(txn)
        .await?;
    for modification in open {
        let mut active: register_modification::ActiveModel = modification.into();
        active.status = Set("closed".into());
        active.closed_at = Set(Some(at));
        active.update(txn).await?;
    }
    Ok(())
}

/// A mark held because it arrived for a closed month.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldMark {
    pub mark_id: Uuid,
    pub enrollment_id: i64,
    pub date: NaiveDate,
    #[schema(value_type = Option<String>)]
    pub status: Option<AttendanceStatus>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub user_id: i64,
    pub device_id: Option<Uuid>,
    /// The student's document (DNI or código de estudiante).
    pub document: String,
    /// "Apellido Apellido, Nombres".
    pub student: String,
    /// The code that stands in the register for that student and day, if any.
    #[schema(value_type = Option<String>)]
    pub standing: Option<AttendanceStatus>,
    /// Who sent the mark (names).
    pub teacher: String,
    /// The mark's note (the reason of a falta justificada).
    pub note: Option<String>,
}

/// Marks held for review in a closed month (the director).
#[utoipa::path(get, path = "/sections/{id}/registers/{year}/{month}/held", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])),
    responses((status = 200, body = Vec<HeldMark>), (status = 403, body = ErrorBody)))]
async fn list_held(
    AxumState(state): AxumState<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
) -> Result<Json<Vec<HeldMark>>> {
    load(&state, &p, id, Action::CloseRegister).await?;
    let db = &state.db;
    let rows = held_marks(db, id, year, month).await?;
    let students: std::collections::HashMap<i64, entity::student::Model> =
        entity::enrollment::Entity::find()
            .filter(entity::enrollment::Column::Id.is_in(rows.iter().map(|m| m.enrollment_id)))
            .find_also_related(entity::student::Entity)
            .all(db)
            .await?
            .into_iter()
            .filter_map(|(e, s)| Some((e.id, s?)))
            .collect();
    let accounts: std::collections::HashMap<i64, i64> = entity::user_account::Entity::find()
        .filter(entity::user_account::Column::Id.is_in(rows.iter().map(|m| m.user_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.person_id))
        .collect();
    let people: std::collections::HashMap<i64, String> = entity::person::Entity::find()
        .filter(entity::person::Column::Id.is_in(accounts.values().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| {
            (
                p.id,
                format!(
                    "{} {} {}",
                    p.given_names, p.paternal_surname, p.maternal_surname
                ),
            )
        })
        .collect();
    let mut standing = std::collections::HashMap::new();
    for day in entity::section_day::Entity::find()
        .filter(entity::section_day::Column::SectionId.eq(id))
        .filter(entity::section_day::Column::Date.is_in(rows.iter().map(|m| m.date)))
        .all(db)
        .await?
    {
        for cell in super::store::cells(&day)? {
            standing.insert((cell.enrollment_id, day.date), cell.status);
        }
    }
    let mut out: Vec<HeldMark> = rows
        .into_iter()
        .map(|m| {
            let s = students.get(&m.enrollment_id);
            HeldMark {
                mark_id: m.mark_id,
                enrollment_id: m.enrollment_id,
                date: m.date,
                status: codes::from_db(m.status),
                recorded_at: DateTime::from_timestamp_micros(m.recorded_at_us),
                received_at: m.received_at,
                user_id: m.user_id,
                device_id: m.device_id,
                document: s
                    .and_then(|s| s.dni.clone().or(s.student_code.clone()))
                    .unwrap_or_default(),
                student: s
                    .map(|s| {
                        format!(
                            "{} {}, {}",
                            s.paternal_surname, s.maternal_surname, s.given_names
                        )
                    })
                    .unwrap_or_default(),
                standing: standing
                    .get(&(m.enrollment_id, m.date))
                    .and_then(|v| codes::from_db(*v)),
                teacher: accounts
                    .get(&m.user_id)
                    .and_then(|person| people.get(person))
                    .cloned()
                    .unwrap_or_default(),
                note: m.note,
            }
        })
        .collect();
    out.sort_by_cached_key(|h| (crate::domain::spanish_key(&h.student), h.date));
    Ok(Json(out))
}

async fn held_marks(
    db: &impl sea_orm::ConnectionTrait,
    section_id: i64,
    year: i32,
    month: u32,
) -> Result<Vec<held_mark::Model>> {
    let days = super::calendar::month_days(year, month);
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Ok(Vec::new());
    };
    Ok(held_mark::Entity::find()
        .filter(held_mark::Column::SectionId.eq(section_id))
        .filter(held_mark::Column::Date.between(*first, *last))
        .filter(held_mark::Column::Review.eq("pending"))
        .order_by_asc(held_mark::Column::Id)
        .all(db)
        .await?)
}

/// `POST …/held/apply` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ApplyHeld {
    /// The held marks to apply; the others stay held.
    pub mark_ids: Vec<Uuid>,
}

/// Apply held marks (the director), only while an exceptional modification is open.
#[utoipa::path(post, path = "/sections/{id}/registers/{year}/{month}/held/apply", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])), request_body = ApplyHeld,
    responses((status = 200, body = Register), (status = 409, description = "`register_closed`: no modification open", body = ErrorBody)))]
async fn apply_held(
    AxumState(state): AxumState<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
    ApiJson(body): ApiJson<ApplyHeld>,
) -> Result<Json<Register>> {
    let (scope, calendar) = load(&state, &p, id, Action::CloseRegister).await?;
    let at = now();
    let register = register_row(&state.db, id, year, month).await?;
    if register.as_ref().is_none_or(|r| engine::is_locked(r, at)) {
        return Err(ApiError::because(
            ErrorCode::RegisterClosed,
            "Las marcas retenidas solo se aplican durante una modificación excepcional habilitada por la UGEL.",
        ));
    }
    let held = held_marks(&state.db, id, year, month).await?;
    let chosen: Vec<&held_mark::Model> = held
        .iter()
        .filter(|m| body.mark_ids.contains(&m.mark_id))
        .collect();
    if chosen.len() != body.mark_ids.len() {
        return Err(ApiError::field(
            "mark_ids",
            "Alguna marca no está retenida en este registro.",
        ));
    }
    // Applying is the director's decision: each held mark is written again now, as the
    // director's, so it stands over anything recorded before; the held mark stays in the history.
    let cells: Vec<(i64, NaiveDate, AttendanceStatus)> = {
        let students: std::collections::HashMap<i64, i64> = entity::enrollment::Entity::find()
            .filter(entity::enrollment::Column::SectionId.eq(id))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|e| (e.id, e.student_id))
            .collect();
        chosen
            .iter()
            .filter_map(|m| {
                Some((
                    *students.get(&m.enrollment_id)?,
                    m.date,
                    codes::from_db(m.status)?,
                ))
            })
            .collect()
    };
    let txn = crate::db::begin(&state.db).await?;
    save_cells(&txn, &state.places, &p, &scope, year, month, &cells).await?;
    held_mark::Entity::update_many()
        .col_expr(
            held_mark::Column::Review,
            sea_orm::sea_query::Expr::value("applied"),
        )
        .filter(held_mark::Column::MarkId.is_in(body.mark_ids.clone()))
        .exec(&txn)
        .await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::HeldMarksApplied, register.map(|r| r.id))
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&body.mark_ids),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(Json(
        register::build(&state.db, &scope, &calendar, year, month, now()).await?,
    ))
}

use super::modification::{ModificationView, Step, notify};

/// The view of one request, and the e-mail of its step to whoever acts next.
async fn announce(
    db: &impl sea_orm::ConnectionTrait,
    step: Step,
    modification: register_modification::Model,
    scope: &SectionScope,
) -> Result<ModificationView> {
    let view = super::modification::views(db, vec![modification.clone()])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("modification without register")))?;
    notify(
        db,
        step,
        &modification,
        &view,
        scope.school.ugel_id,
        &scope.school.level,
    )
    .await?;
    Ok(view)
}

/// `POST …/modifications` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ModificationRequest {
    pub reason: String,
}

/// The director asks the UGEL, with a reason, to modify a closed register.
#[utoipa::path(post, path = "/sections/{id}/registers/{year}/{month}/modifications", params(("id" = i64, Path, description = "Identificador del recurso"), ("year" = i32, Path, description = "Año (p. ej. 2026)"), ("month" = u32, Path, description = "Mes, de 1 a 12")), tag = "attendance", security(("bearer" = [])), request_body = ModificationRequest,
    responses((status = 201, body = ModificationView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn request_modification(
    AxumState(state): AxumState<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, year, month)): RegisterPath,
    ApiJson(body): ApiJson<ModificationRequest>,
) -> Result<(StatusCode, Json<ModificationView>)> {
    let (scope, _) = load(&state, &p, id, Action::CloseRegister).await?;
    let reason = body.reason.trim();
    if reason.chars().count() < 10 || reason.chars().count() > 1000 {
        return Err(ApiError::field(
            "reason",
            "Sustente la solicitud (entre 10 y 1000 caracteres).",
        ));
    }
    let register = register_row(&state.db, id, year, month)
        .await?
        .filter(|r| r.closed_at.is_some())
        .ok_or_else(|| ApiError::from(ErrorCode::RegisterNotClosed))?;
    let pending = register_modification::Entity::find()
        .filter(register_modification::Column::RegisterId.eq(register.id))
        .filter(register_modification::Column::Status.is_in(["requested", "favorable", "enabled"]))
        .one(&state.db)
        .await?;
    if pending.is_some() {
        return Err(ApiError::from(ErrorCode::ModificationPending));
    }
    let txn = crate::db::begin(&state.db).await?;
    let created = register_modification::ActiveModel {
        register_id: Set(register.id),
        status: Set("requested".into()),
        reason: Set(reason.to_owned()),
        requested_by: Set(p.user_id),
        requested_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::RegisterModificationRequested, created.id)
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&created),
        ),
    )
    .await?;
    let view = announce(&txn, Step::Requested, created, &scope).await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(view)))
}

async fn load_modification(
    state: &AppState,
    p: &Principal,
    id: i64,
    action: Action,
) -> Result<(
    register_modification::Model,
    attendance_register::Model,
    SectionScope,
)> {
    let modification = register_modification::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("la solicitud de modificación"))?;
    let register = attendance_register::Entity::find_by_id(modification.register_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("el registro"))?;
    let scope = section_scope(&state.db, register.section_id).await?;
    if !p.can(action, &scope.target) {
        return Err(if p.can(Action::ReadRoster, &scope.target) {
            ApiError::forbidden()
        } else {
            ApiError::not_found("la solicitud de modificación")
        });
    }
    Ok((modification, register, scope))
}

/// `POST /register-modifications/{id}/opinion` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Opinion {
    pub favorable: bool,
    pub note: Option<String>,
}

/// The Especialista del nivel gives its opinion on a modification request.
#[utoipa::path(post, path = "/register-modifications/{id}/opinion", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "attendance", security(("bearer" = [])), request_body = Opinion,
    responses((status = 200, body = ModificationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn give_opinion(
    AxumState(state): AxumState<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Opinion>,
) -> Result<Json<ModificationView>> {
    let (modification, _, scope) =
        load_modification(&state, &p, id, Action::OpineModification).await?;
    if modification.status != "requested" {
        return Err(ApiError::from(ErrorCode::ModificationDecided));
    }
    let txn = crate::db::begin(&state.db).await?;
    let mut active: register_modification::ActiveModel = modification.into();
    active.status = Set(if body.favorable {
        "favorable"
    } else {
        "unfavorable"
    }
    .into());
    active.favorable = Set(Some(body.favorable));
    active.opinion_note = Set(body.note.map(|n| n.trim().chars().take(1000).collect()));
    active.opinion_by = Set(Some(p.user_id));
    active.opinion_at = Set(Some(now()));
    let updated = active.update(&txn).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::RegisterModificationOpinion, id)
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&updated),
        ),
    )
    .await?;
    let step = if body.favorable {
        Step::Favorable
    } else {
        Step::Unfavorable
    };
    let view = announce(&txn, step, updated, &scope).await?;
    txn.commit().await?;
    Ok(Json(view))
}

/// `POST /register-modifications/{id}/enable` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Enable {
    /// The register closes again at this time (at most 30 days ahead).
    pub until: DateTime<Utc>,
}

/// The Especialista SIAGIE UGEL enables a favourably reviewed modification until a deadline.
#[utoipa::path(post, path = "/register-modifications/{id}/enable", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "attendance", security(("bearer" = [])), request_body = Enable,
    responses((status = 200, body = ModificationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn enable_modification(
    AxumState(state): AxumState<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Enable>,
) -> Result<Json<ModificationView>> {
    let (modification, register, scope) =
        load_modification(&state, &p, id, Action::EnableModification).await?;
    if modification.status != "favorable" {
        return Err(ApiError::from(ErrorCode::OpinionRequired));
    }
    let at = now();
    if body.until <= at || body.until > at + chrono::Duration::days(30) {
        return Err(ApiError::field(
            "until",
            "El plazo debe ser posterior a ahora y de hasta 30 días.",
        ));
    }
    let txn = crate::db::begin(&state.db).await?;
    let mut active: register_modification::ActiveModel = modification.into();
    active.status = Set("enabled".into());
    active.enabled_by = Set(Some(p.user_id));
    active.enabled_at = Set(Some(at));
    active.enabled_until = Set(Some(body.until));
    let updated = active.update(&txn).await?;
    let mut reg: attendance_register::ActiveModel = register.clone().into();
    reg.modification_until = Set(Some(body.until));
    reg.update(&txn).await?;
    let event = Event::new(AuditAction::RegisterModificationEnabled, id)
        .by(p.user_id)
        .in_unit(scope.target)
        .after(&updated);
    let change = Change::RegisterState {
        school_id: scope.school.id,
        section_id: register.section_id,
        register_id: register.id,
        event,
    };
    record(&txn, change).await?;
    let view = announce(&txn, Step::Enabled, updated, &scope).await?;
    txn.commit().await?;
    Ok(Json(view))
}
