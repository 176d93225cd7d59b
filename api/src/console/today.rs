//! Today's attendance of a section on a phone's width (`/consola/asistencia/{section}`): the
//! fallback when the tablet is broken. One group of choices a student, written through the same
//! engine as the tablets' marks (`attendance::cells`), so nothing differs. A teacher's home lists
//! its sections with this page and the month's register.

use std::collections::HashMap;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::{Datelike, NaiveDate};
use minijinja::{Value, context};
use mobile_contract::AttendanceStatus;
use serde::Deserialize;

use super::{
    layout::{PageQuery, message_page, render},
    session::{Posted, Signed},
    ticket_view::spanish,
};
use crate::{
    attendance::{
        cells::{self, CellInput, CellsInput},
        register::{self, Register},
        scope::in_reach,
        taught::taught,
    },
    auth::policy::Action,
    error::ApiError,
    links::{acta_path, register_path},
    state::AppState,
    time::{LIMA, now},
};

/// The page of a section's attendance of today.
pub fn today_path(section_id: i64) -> String {
    format!("/consola/asistencia/{section_id}")
}

const WEEKDAYS: [&str; 7] = [
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
];

/// A date as a person reads it: "miércoles 16 de junio de 2027".
fn long_date(date: NaiveDate) -> String {
    format!(
        "{} {} de {}",
        WEEKDAYS[date.weekday().num_days_from_monday() as usize],
        date.day(),
        super::pending::month_label(date.year(), date.month())
    )
}

/// The teacher's sections, each with today's attendance and this month's register.
pub async fn sections(state: &AppState, signed: &Signed) -> Result<Vec<Value>, ApiError> {
    let today = now().with_timezone(&LIMA).date_naive();
    Ok(taught(&state.db, &signed.principal)
        .await?
        .into_iter()
        .map(|s| {
            context! {
                name => format!("{} {}", s.grade, s.section),
                school => s.school,
                today => today_path(s.section_id),
                register => register_path(s.section_id, today.year(), today.month()),
                acta => acta_path(s.section_id),
            }
        })
        .collect())
}

#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    #[serde(default)]
    guardado: String,
}

fn not_found(signed: &Signed) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        Some(&signed.person()),
        "Sección no encontrada",
        "No encontramos esa sección, o no está a su alcance.",
    )
}

/// The page.
pub async fn show(
    State(state): State<AppState>,
    Path(section): Path<String>,
    PageQuery(saved): PageQuery<Saved>,
    signed: Signed,
) -> Response {
    let Ok(section) = section.parse::<i64>() else {
        return not_found(&signed);
    };
    let today = now().with_timezone(&LIMA).date_naive();
    let done = (saved.guardado == "1").then_some("Asistencia guardada.");
    page(&state, &signed, section, today, StatusCode::OK, done, None).await
}

/// Today's column of the register, as the form shows it.
async fn page(
    state: &AppState,
    signed: &Signed,
    section: i64,
    day: NaiveDate,
    status: StatusCode,
    done: Option<&str>,
    error: Option<String>,
) -> Response {
    // The page is for whoever takes the section's attendance; to anyone else, not found.
    match in_reach(
        &state.db,
        &signed.principal,
        section,
        Action::TakeAttendance,
    )
    .await
    {
        Ok(_) => {}
        Err(ApiError::Client { .. }) => return not_found(signed),
        Err(error) => return error.into_response(),
    }
    let register = match register::read(
        &state.db,
        &signed.principal,
        section,
        day.year(),
        day.month(),
    )
    .await
    {
        Ok(register) => register,
        Err(ApiError::Client { .. }) => return not_found(signed),
        Err(error) => return error.into_response(),
    };
    let column = register.days.iter().find(|d| d.date == day);
    let academic = column.is_some_and(|d| d.academic);
    let (students, was) = students(&register, day);
    let choices: Vec<Value> = AttendanceStatus::ALL
        .into_iter()
        .map(|s| context! { code => s.code(), label => label(s) })
        .collect();
    let title = format!("Asistencia de hoy: {} {}", register.grade, register.section);
    render(
        status,
        Some(&signed.person()),
        &title,
        "console_today.html",
        context! {
            heading => &title,
            date => long_date(day),
            day => day.to_string(),
            school => &register.school_name,
            academic,
            why => column.and_then(|d| d.description.clone()),
            closed => register.state == register::State::Cerrado && register.modification_until.is_none(),
            action => today_path(section),
            register => register_path(section, day.year(), day.month()),
            csrf => &signed.csrf,
            students,
            was,
            choices,
            done,
            error,
        },
    )
}

/// A status as the choices name it.
fn label(status: AttendanceStatus) -> &'static str {
    match status {
        AttendanceStatus::Asistio => "Asistió",
        AttendanceStatus::Falta => "Falta",
        AttendanceStatus::Tardanza => "Tardanza",
        AttendanceStatus::FaltaJustificada => "Falta justificada",
        AttendanceStatus::TardanzaJustificada => "Tardanza justificada",
    }
}

/// The students enrolled that day, each with its mark (asistió offered for those without one),
/// and what the page showed (`student:code;…`, empty code for none).
fn students(register: &Register, day: NaiveDate) -> (Vec<Value>, String) {
    let mut was = String::new();
    let rows = register
        .rows
        .iter()
        .filter_map(|row| {
            let cell = row.cells.iter().find(|c| c.date == day)?;
            if cell.status.is_none() && cell.reason != Some("pendiente") {
                return None;
            }
            let code = cell.status.map_or("", AttendanceStatus::code);
            was.push_str(&format!("{}:{code};", row.student_id));
            Some(context! {
                id => row.student_id,
                number => row.number,
                name => &row.full_name,
                marked => cell.status.is_some(),
                chosen => if code.is_empty() { AttendanceStatus::Asistio.code() } else { code },
            })
        })
        .collect();
    (rows, was)
}

/// The marks the form changed from what its page showed (and those the page offered unmarked).
fn changed(form: &[(String, String)], day: NaiveDate) -> Result<Vec<CellInput>, ApiError> {
    let value = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let was: HashMap<i64, &str> = value("was")
        .unwrap_or("")
        .split(';')
        .filter_map(|pair| {
            let (student, code) = pair.split_once(':')?;
            Some((student.parse().ok()?, code))
        })
        .collect();
    let mut cells = Vec::new();
    for (name, code) in form {
        let Some(student) = name.strip_prefix('s').and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        if AttendanceStatus::parse(code).is_none() {
            return Err(ApiError::field("status", "Elija una opción de la lista."));
        }
        if was.get(&student) != Some(&code.as_str()) {
            cells.push(CellInput {
                student_id: student,
                date: day,
                status: code.clone(),
                // Written only over what the page showed: a tablet's mark synced meanwhile is
                // not overwritten unseen.
                was: Some(was.get(&student).copied().unwrap_or_default().to_owned()),
            });
        }
    }
    Ok(cells)
}

/// Saves the day's marks.
pub async fn save(
    State(state): State<AppState>,
    Path(section): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { signed, form } = posted;
    let Ok(section) = section.parse::<i64>() else {
        return not_found(&signed);
    };
    let today = now().with_timezone(&LIMA).date_naive();
    // The day the page showed (a page opened before midnight saves that day).
    let day = form
        .iter()
        .find(|(k, _)| k == "day")
        .and_then(|(_, v)| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
        .filter(|d| *d <= today && (today - *d).num_days() <= 1)
        .unwrap_or(today);
    let written = match changed(&form, day) {
        Ok(cells) if cells.is_empty() => Ok(()),
        Ok(cells) => cells::write(
            &state.db,
            &state.places,
            &signed.principal,
            section,
            day.year(),
            day.month(),
            CellsInput { cells },
        )
        .await
        .map(drop),
        Err(error) => Err(error),
    };
    match written {
        Ok(()) => Redirect::to(&format!("{}?guardado=1", today_path(section))).into_response(),
        Err(error @ ApiError::Client { .. }) => {
            let text = spanish(&error);
            page(
                &state,
                &signed,
                section,
                day,
                error.status(),
                None,
                Some(text),
            )
            .await
        }
        Err(error) => error.into_response(),
    }
}
