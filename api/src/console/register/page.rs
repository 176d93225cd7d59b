//! The register's page: the month's grid, the held marks, the closure and the modification as
//! they stand, with what a form just did or why it was refused; its CSV export and its PDF.

use std::collections::{HashMap, HashSet};

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{Datelike, NaiveDate};
use minijinja::{Value, context};
use mobile_contract::AttendanceStatus;
use serde::Deserialize;

use crate::console::{
    layout::{PageQuery, message_page, pdf, render_wide},
    pending::month_label,
    session::Signed,
};
use crate::{
    attendance::{
        closure::{self, HeldMark},
        register::{self, Register, State as RegisterState},
    },
    auth::policy::{Action, grants},
    error::ApiError,
    links::{MODIFICATIONS_PATH, PENDING_PATH, register_path},
    state::AppState,
    time::{LIMA, now},
};

/// The register's page, as the router names it.
pub const PATH: &str = "/consola/registros/{section}/{year}/{month}";

/// A register's address as the path gives it.
#[derive(Debug, Clone, Copy)]
pub struct Month {
    pub(super) section: i64,
    pub(super) year: i32,
    pub(super) month: u32,
}

impl Month {
    /// The month a page's path names (`/{section}/{year}/{month}`), when it is one.
    pub(super) fn parse((section, year, month): &(String, String, String)) -> Option<Self> {
        let month = Self {
            section: section.parse().ok()?,
            year: year.parse().ok()?,
            month: month.parse().ok()?,
        };
        (1..=12).contains(&month.month).then_some(month)
    }

    /// The month's page.
    pub(super) fn path(self) -> String {
        register_path(self.section, self.year, self.month)
    }

    /// The month before and after, as (year, month).
    fn around(self) -> [(i32, u32); 2] {
        let before = if self.month == 1 {
            (self.year - 1, 12)
        } else {
            (self.year, self.month - 1)
        };
        let after = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        [before, after]
    }
}

/// What a form did, shown once after the redirect.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    hecho: String,
}

fn done_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "celdas" => "Asistencia guardada.",
        "sin-cambios" => "No había cambios que guardar.",
        "completar" => "Asistencias completadas.",
        "cerrar" => "Registro cerrado.",
        "retenidas" => "Marcas retenidas aplicadas al registro.",
        "descartar" => "Marcas retenidas descartadas: no entran al registro.",
        "modificacion" => "Solicitud de modificación excepcional enviada a la UGEL.",
        _ => return None,
    })
}

/// What the grid shows besides the register: a message, and after a refused save, what the
/// person typed (so nothing typed is lost) with the cells in error.
#[derive(Default)]
pub(super) struct Notice {
    pub(super) done: Option<&'static str>,
    pub(super) error: Option<String>,
    pub(super) typed: HashMap<(i64, u32), String>,
    pub(super) invalid: HashSet<(i64, u32)>,
}

pub(super) fn not_found(signed: &Signed) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        Some(&signed.person()),
        "Registro no encontrado",
        "No encontramos ese registro de asistencia, o no está a su alcance.",
    )
}

/// The page.
pub async fn show(
    State(state): State<AppState>,
    Path(path): Path<(String, String, String)>,
    PageQuery(done): PageQuery<Done>,
    signed: Signed,
) -> Response {
    let Some(at) = Month::parse(&path) else {
        return not_found(&signed);
    };
    let notice = Notice {
        done: done_text(&done.hecho),
        ..Notice::default()
    };
    page(&state, &signed, at, StatusCode::OK, notice).await
}

/// The grid with its forms; a register out of reach is not found.
pub(super) async fn page(
    state: &AppState,
    signed: &Signed,
    at: Month,
    status: StatusCode,
    notice: Notice,
) -> Response {
    let p = &signed.principal;
    let register = match register::read(&state.db, p, at.section, at.year, at.month).await {
        Ok(register) => register,
        Err(ApiError::Client { .. }) => return not_found(signed),
        Err(error) => return error.into_response(),
    };
    // The marks held for review are the director's; anyone else reads the grid without them.
    let held = if register.state == RegisterState::Cerrado {
        closure::held(&state.db, p, at.section, at.year, at.month)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let closes = p
        .assignments
        .iter()
        .any(|a| grants(a.role, Action::CloseRegister));
    let writes = p
        .assignments
        .iter()
        .any(|a| grants(a.role, Action::TakeAttendance));
    let today = now().with_timezone(&LIMA).date_naive();
    let open = register.state != RegisterState::Cerrado || register.modification_until.is_some();
    let grid = grid(&register, writes && open, today, &notice);
    let [before, after] = at.around();
    let title = format!(
        "Registro de asistencia: {} {}, {}",
        register.grade,
        register.section,
        month_label(register.year, register.month)
    );
    let last_day = register.days.last().map_or(1, |d| d.day);
    let complete_to = if (register.year, register.month) == (today.year(), today.month()) {
        today.day()
    } else {
        last_day
    };
    render_wide(
        status,
        Some(&signed.person()),
        &title,
        "console_register.html",
        context! {
            heading => &title,
            base => at.path(),
            csrf => &signed.csrf,
            pending => closes.then_some(PENDING_PATH),
            modifications => MODIFICATIONS_PATH,
            school => &register.school_name,
            code => &register.school_code,
            state => register.state.label(),
            closed => register.state == RegisterState::Cerrado,
            complete => register.state == RegisterState::Completo,
            missing => register.missing_cells,
            until => register.modification_until.map(|u| u.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string()),
            done => notice.done,
            error => notice.error,
            editable => writes && open,
            closes,
            complete_to,
            last_day,
            before => register_path(at.section, before.0, before.1),
            before_label => month_label(before.0, before.1),
            after => register_path(at.section, after.0, after.1),
            after_label => month_label(after.0, after.1),
            days => grid.days,
            rows => grid.rows,
            was => grid.was,
            held => held_lines(&held),
        },
    )
}

struct Grid {
    days: Vec<Value>,
    rows: Vec<Value>,
    /// The editable cells as the page showed them, `student:symbols;…` with one character a day
    /// (`_` for none): a save writes only the cells the person changed.
    was: String,
}

/// The grid as the template reads it.
fn grid(register: &Register, editable: bool, today: NaiveDate, notice: &Notice) -> Grid {
    let days = register
        .days
        .iter()
        .map(|d| {
            context! {
                day => d.day,
                weekday => d.weekday,
                off => !d.academic,
                why => &d.description,
            }
        })
        .collect();
    let mut was = String::new();
    let rows = register
        .rows
        .iter()
        .map(|row| {
            was.push_str(&format!("{}:", row.student_id));
            let cells: Vec<Value> = row
                .cells
                .iter()
                .map(|cell| {
                    let day = cell.date.day();
                    let symbol = cell.symbol.unwrap_or("");
                    was.push_str(if symbol.is_empty() { "_" } else { symbol });
                    let writable = editable
                        && cell.date <= today
                        && (cell.status.is_some() || cell.reason == Some("pendiente"));
                    let key = (row.student_id, day);
                    context! {
                        day,
                        input => writable,
                        value => notice.typed.get(&key).map_or(symbol, String::as_str),
                        invalid => notice.invalid.contains(&key),
                        missing => cell.reason == Some("pendiente") && cell.date <= today,
                        off => cell.reason.is_some_and(|r| r != "pendiente"),
                        text => cell_text(cell.reason, symbol),
                        note => &cell.note,
                    }
                })
                .collect();
            was.push(';');
            let count = |code: &str| row.totals.get(code).copied().unwrap_or(0);
            context! {
                number => row.number,
                id => row.student_id,
                name => &row.full_name,
                document => &row.document,
                cells,
                absences => count("falta") + count("falta_justificada"),
                lates => count("tardanza") + count("tardanza_justificada"),
            }
        })
        .collect();
    Grid { days, rows, was }
}

/// What a cell without an input shows: its symbol, or the mark of why it has none.
fn cell_text(reason: Option<&str>, symbol: &str) -> &'static str {
    match reason {
        Some("sin_matricula") => "–",
        Some("traslado") => "TR",
        Some("retirado") => "RE",
        Some("fallecido") => "FA",
        Some(_) => "",
        None => AttendanceStatus::ALL
            .into_iter()
            .map(AttendanceStatus::symbol)
            .find(|s| *s == symbol)
            .unwrap_or(""),
    }
}

fn held_lines(held: &[HeldMark]) -> Vec<Value> {
    let symbol = |s: Option<AttendanceStatus>| s.map_or("—", AttendanceStatus::symbol);
    held.iter()
        .map(|h| {
            context! {
                id => h.mark_id.to_string(),
                student => &h.student,
                date => h.date.format("%d/%m/%Y").to_string(),
                sent => symbol(h.status),
                standing => symbol(h.standing),
                teacher => &h.teacher,
                note => &h.note,
            }
        })
        .collect()
}

/// Whether a person reads a section (its roster): a form about a section out of reach is not
/// found, whatever it asks.
pub async fn reads_section(
    state: &AppState,
    p: &crate::auth::principal::Principal,
    section: i64,
) -> Result<bool, ApiError> {
    match crate::registry::repo::section_scope(&state.db, section).await {
        Ok(scope) => Ok(p.can(Action::ReadRoster, &scope.target)),
        Err(ApiError::Client { .. }) => Ok(false),
        Err(error) => Err(error),
    }
}

/// The IE's attendance of the register's month as CSV, a row per student (the API's export for
/// social programmes), with a byte order mark so that a spreadsheet reads its accents.
pub async fn export(
    State(state): State<AppState>,
    Path(path): Path<(String, String, String)>,
    signed: Signed,
) -> Response {
    let Some(at) = Month::parse(&path) else {
        return not_found(&signed);
    };
    let register =
        match register::read(&state.db, &signed.principal, at.section, at.year, at.month).await {
            Ok(register) => register,
            Err(ApiError::Client { .. }) => return not_found(&signed),
            Err(error) => return error.into_response(),
        };
    let filter = crate::attendance::export::ExportFilter {
        school_id: Some(register.school_id),
        ugel_id: None,
        dre_id: None,
        year: at.year,
        month: at.month,
        bom: Some(1),
    };
    let receiver =
        match crate::attendance::export::csv_chunks(&state.db, signed.principal.clone(), &filter)
            .await
        {
            Ok(receiver) => receiver,
            Err(ApiError::Client { .. }) => return not_found(&signed),
            Err(error) => return error.into_response(),
        };
    crate::http::download::csv_stream(receiver, &format!("asistencia-{}-{:02}", at.year, at.month))
        .unwrap_or_else(IntoResponse::into_response)
}

/// The register as a PDF (the API's), to print, sign and seal.
pub async fn register_pdf(
    State(state): State<AppState>,
    Path(path): Path<(String, String, String)>,
    signed: Signed,
) -> Response {
    let Some(at) = Month::parse(&path) else {
        return not_found(&signed);
    };
    let register =
        match register::read(&state.db, &signed.principal, at.section, at.year, at.month).await {
            Ok(register) => register,
            Err(ApiError::Client { .. }) => return not_found(&signed),
            Err(error) => return error.into_response(),
        };
    let printed = now();
    match crate::time::spawn_blocking(move || crate::attendance::pdf::render(&register, printed))
        .await
    {
        Ok(bytes) => pdf(
            &format!(
                "registro-asistencia-{}-{}-{:02}",
                at.section, at.year, at.month
            ),
            bytes,
        ),
        Err(error) => ApiError::Internal(error.into()).into_response(),
    }
}
