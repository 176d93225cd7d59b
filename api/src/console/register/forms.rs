//! The register page's forms: cells typed on the grid (each sent with the value the page showed),
//! "completar hasta el día N", the closure, the marks held for review and the exceptional
//! modification's request, each calling the service of the API's route; a refusal shows the page
//! again with the cells where it was made.

use std::collections::{HashMap, HashSet};

use axum::{
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use chrono::{Datelike, NaiveDate};
use mobile_contract::AttendanceStatus;

use super::page::{Month, Notice, not_found, page, reads_section};
use crate::console::{
    session::{Posted, Signed},
    ticket_view::spanish,
};
use crate::{
    attendance::{
        cells::{self, CellInput, CellsInput},
        closure::{self, ApplyHeld, CompleteInput},
        modification::RegisterModification,
        register::{self},
    },
    error::ApiError,
    exceptional::{self, ModificationRequest},
    state::AppState,
};

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

/// The cells of a refused save that someone else changed after the page showed them, from the
/// error's details: (student, day).
fn moved_cells(error: &ApiError) -> Vec<(i64, NaiveDate)> {
    error
        .details()
        .and_then(|details| details["cells"].as_array())
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
