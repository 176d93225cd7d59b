//! The monthly register as a page (`/consola/registros/{section}/{year}/{month}`): the grid as
//! SIAGIE shows it (students in Spanish order, days, non-academic days greyed), written cell by
//! cell from one form, "completar hasta el día N", the closure, the marks held for review, the
//! request for an exceptional modification and the PDF. Every form calls the service of the
//! API's route (`attendance::{register, cells, closure}`, `exceptional`).

use std::collections::{HashMap, HashSet};

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
    layout::{PageQuery, message_page, pdf, render_wide},
    pending::month_label,
    session::{Posted, Signed},
    ticket_view::spanish,
};
use crate::{
    attendance::{
        cells::{self, CellInput, CellsInput},
        closure::{self, ApplyHeld, CompleteInput, HeldMark},
        modification::RegisterModification,
        register::{self, Register, State as RegisterState},
    },
    auth::policy::{Action, grants},
    error::ApiError,
    exceptional::{self, ModificationRequest},
    links::{MODIFICATIONS_PATH, PENDING_PATH, register_path},
    state::AppState,
    time::{LIMA, now},
};

/// The register's page, as the router names it.
pub const PATH: &str = "/consola/registros/{section}/{year}/{month}";

/// A register's address as the path gives it.
#[derive(Debug, Clone, Copy)]
pub struct Month {
    section: i64,
    year: i32,
    month: u32,
}

impl Month {
    fn parse((section, year, month): &(String, String, String)) -> Option<Self> {
        let month = Self {
            section: section.parse().ok()?,
            year: year.parse().ok()?,
            month: month.parse().ok()?,
        };
        (1..=12).contains(&month.month).then_some(month)
    }

    fn path(self) -> String {
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
struct Notice {
    done: Option<&'static str>,
    error: Option<String>,
    typed: HashMap<(i64, u32), String>,
    invalid: HashSet<(i64, u32)>,
}

fn not_found(signed: &Signed) -> Response {
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
async fn page(
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

/// A status typed in a cell: its symbol (`.`, `F`, `T`, `J`, `U`) or `A` for asistió, in either
/// case; `None` for anything else.
fn typed_status(text: &str) -> Option<AttendanceStatus> {
    let text = text.trim().to_uppercase();
    let text = if text == "A" { "." } else { text.as_str() };
    AttendanceStatus::ALL
        .into_iter()
        .find(|s| s.symbol() == text)
}

/// The cells the form changed from what its page showed (with what it showed), and those typed
/// wrong.
struct Changes {
    /// Each with the status the page showed (`was`), which the service compares under its lock.
    cells: Vec<CellInput>,
    typed: HashMap<(i64, u32), String>,
    invalid: HashSet<(i64, u32)>,
}

fn changes(form: &[(String, String)], year: i32, month: u32) -> Changes {
    let was_text = form
        .iter()
        .find(|(k, _)| k == "was")
        .map_or("", |(_, v)| v.as_str());
    let mut was: HashMap<(i64, u32), char> = HashMap::new();
    for row in was_text.split(';') {
        if let Some((student, symbols)) = row.split_once(':')
            && let Ok(student) = student.parse::<i64>()
        {
            for (i, symbol) in symbols.chars().enumerate() {
                was.insert((student, i as u32 + 1), symbol);
            }
        }
    }
    let mut out = Changes {
        cells: Vec::new(),
        typed: HashMap::new(),
        invalid: HashSet::new(),
    };
    for (name, value) in form {
        let Some((student, day)) = name
            .strip_prefix('c')
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(s, d)| Some((s.parse::<i64>().ok()?, d.parse::<u32>().ok()?)))
        else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        out.typed.insert((student, day), value.to_owned());
        let Some(status) = typed_status(value) else {
            out.invalid.insert((student, day));
            continue;
        };
        let shown = was.get(&(student, day)).copied().unwrap_or('_');
        if status.symbol().starts_with(shown) {
            continue;
        }
        if let Some(date) = NaiveDate::from_ymd_opt(year, month, day) {
            let was = typed_status(&shown.to_string()).map_or("", |s| s.code());
            out.cells.push(CellInput {
                student_id: student,
                date,
                status: status.code().to_owned(),
                was: Some(was.to_owned()),
            });
        }
    }
    out
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

/// The cells of a refused save that someone else changed after the page showed them, from the
/// error's details: (student, day).
fn moved_cells(error: &ApiError) -> Vec<(i64, NaiveDate)> {
    let ApiError::Client {
        details: Some(details),
        ..
    } = error
    else {
        return Vec::new();
    };
    details["cells"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|c| {
                    let date = NaiveDate::parse_from_str(c["date"].as_str()?, "%Y-%m-%d").ok()?;
                    Some((c["student_id"].as_i64()?, date))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The names of students, as the register shows them (read again, for a message).
async fn names_of(state: &AppState, signed: &Signed, at: Month) -> HashMap<i64, String> {
    register::read(&state.db, &signed.principal, at.section, at.year, at.month)
        .await
        .map(|r| {
            r.rows
                .into_iter()
                .map(|row| (row.student_id, row.full_name))
                .collect()
        })
        .unwrap_or_default()
}

/// The register's forms: `celdas`, `completar`, `cerrar`, `retenidas`, `modificacion`.
pub async fn act(
    State(state): State<AppState>,
    Path((section, year, month, action)): Path<(String, String, String, String)>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { signed, form } = posted;
    let Some(at) = Month::parse(&(section, year, month)) else {
        return not_found(&signed);
    };
    let p = &signed.principal;
    match reads_section(&state, p, at.section).await {
        Ok(true) => {}
        Ok(false) => return not_found(&signed),
        Err(error) => return error.into_response(),
    }
    let value = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let (section, year, month) = (at.section, at.year, at.month);
    let mut notice = Notice::default();
    let result = match action.as_str() {
        "celdas" => {
            let found = changes(&form, year, month);
            if !found.invalid.is_empty() {
                notice.typed = found.typed;
                notice.invalid = found.invalid;
                Err(ApiError::field(
                    "cells",
                    "Use las letras de la leyenda: A o . (asistió), F, T, J o U. Las celdas marcadas no son válidas; no se guardó nada.",
                ))
            } else if found.cells.is_empty() {
                return Redirect::to(&format!("{}?hecho=sin-cambios", at.path())).into_response();
            } else {
                let input = CellsInput { cells: found.cells };
                let written =
                    cells::write(&state.db, &state.places, p, section, year, month, input).await;
                match written {
                    Ok(_) => Ok(()),
                    Err(error)
                        if error.code() == Some(crate::error::ErrorCode::ChangedSinceLoaded) =>
                    {
                        // Someone else wrote those cells after the page loaded: nothing was
                        // written, and the page shows what stands now with what this person
                        // typed marked.
                        notice.typed = found.typed;
                        let moved = moved_cells(&error);
                        notice.invalid = moved.iter().map(|(s, d)| (*s, d.day())).collect();
                        let names = names_of(&state, &signed, at).await;
                        let cells: Vec<String> = moved
                            .iter()
                            .map(|(student, date)| {
                                let name = names.get(student).map_or("", String::as_str);
                                format!("{name}, día {}", date.day())
                            })
                            .collect();
                        Err(ApiError::because(
                            crate::error::ErrorCode::ChangedSinceLoaded,
                            format!(
                                "Mientras editaba, alguien más registró estas celdas: {}. No se guardó nada: revise lo que figura ahora y vuelva a guardar.",
                                cells.join("; ")
                            ),
                        ))
                    }
                    Err(error) => {
                        notice.typed = found.typed;
                        Err(error)
                    }
                }
            }
        }
        "completar" => match value("up_to_day").parse() {
            Ok(up_to_day) => closure::complete(
                &state.db,
                &state.places,
                p,
                section,
                year,
                month,
                CompleteInput { up_to_day },
            )
            .await
            .map(drop),
            Err(_) => Err(ApiError::field("up_to_day", "Indique el día, un número.")),
        },
        "cerrar" => closure::close(&state.db, p, section, year, month)
            .await
            .map(drop),
        "descartar" => {
            let mark_ids = form
                .iter()
                .filter(|(k, _)| k == "mark")
                .filter_map(|(_, v)| v.parse().ok())
                .collect::<Vec<_>>();
            closure::dismiss_held(&state.db, p, section, year, month, ApplyHeld { mark_ids })
                .await
                .map(drop)
        }
        "retenidas" => {
            let mark_ids = form
                .iter()
                .filter(|(k, _)| k == "mark")
                .filter_map(|(_, v)| v.parse().ok())
                .collect::<Vec<_>>();
            if mark_ids.is_empty() {
                Err(ApiError::field(
                    "mark_ids",
                    "Elija al menos una marca retenida.",
                ))
            } else {
                closure::apply_held(
                    &state.db,
                    &state.places,
                    p,
                    section,
                    year,
                    month,
                    ApplyHeld { mark_ids },
                )
                .await
                .map(drop)
            }
        }
        "modificacion" => exceptional::request::<RegisterModification>(
            &state.db,
            crate::links::Links::new(&state.config.auth.public_base_url),
            p,
            (section, year, month),
            ModificationRequest {
                reason: value("reason"),
            },
        )
        .await
        .map(drop),
        _ => return not_found(&signed),
    };
    match result {
        Ok(()) => Redirect::to(&format!("{}?hecho={action}", at.path())).into_response(),
        // Refused: the grid again with why (a register out of reach is not found there).
        Err(error @ ApiError::Client { .. }) => {
            notice.error = Some(spanish(&error));
            page(&state, &signed, at, error.status(), notice).await
        }
        Err(error) => error.into_response(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn only_the_cells_changed_from_what_the_page_showed_are_written() {
        let sent = form(&[
            ("csrf", "x"),
            ("was", "7:._F;8:__;"),
            ("c7-1", "."), // as shown
            ("c7-2", "a"), // typed: asistió
            ("c7-3", "T"), // changed from F
            ("c8-1", ""),  // left empty
            ("c8-2", "j"), // typed: falta justificada
        ]);
        let found = changes(&sent, 2027, 5);
        let written: Vec<(i64, u32, &str)> = found
            .cells
            .iter()
            .map(|c| (c.student_id, c.date.day(), c.status.as_str()))
            .collect();
        assert_eq!(
            written,
            [
                (7, 2, "asistio"),
                (7, 3, "tardanza"),
                (8, 2, "falta_justificada")
            ]
        );
        assert!(found.invalid.is_empty());
    }

    #[test]
    fn a_letter_outside_the_legend_is_kept_and_marked() {
        let found = changes(&form(&[("was", "7:__;"), ("c7-1", "X")]), 2027, 5);
        assert!(found.cells.is_empty());
        assert!(found.invalid.contains(&(7, 1)));
        assert_eq!(found.typed.get(&(7, 1)).map(String::as_str), Some("X"));
    }
}
