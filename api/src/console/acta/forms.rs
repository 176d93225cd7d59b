//! The acta page's forms: grades typed on the grid (each sent with the value the page showed),
//! the final situations, the closure, the recuperación, the exceptional modification's request and
//! the CSV import, each calling the service of the API's route; a refusal shows the page again
//! with the errors where they were made.

use std::collections::HashMap;

use axum::{
    extract::{Multipart, Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

use entity::vocabulary::FinalSituation;

use super::page::{MAX_FILE_BYTES, Notice, not_found, page};
use crate::console::{
    session::{Posted, Signed, forbidden, same},
    ticket_view::spanish,
};
use crate::{
    error::ApiError,
    evaluation::{
        closure::{self, SituationInput, SituationsInput},
        grades::{self, GradeInput, GradesInput},
        modification::ActaModification,
        recovery::{self, RecoveriesInput, RecoveryGradeInput, RecoveryInput},
        sheet::{self},
    },
    exceptional::{self, ModificationRequest},
    links::acta_path,
    state::AppState,
};

/// What the form changed from what its page showed: the grades (erased ones too), what the page
/// showed for each, and what was typed.
struct Changed {
    /// Each with the value the page showed (`was`), which the service compares under its lock.
    grades: Vec<GradeInput>,
    typed: HashMap<(i64, i64), String>,
}

/// The grades the form changed from what its page showed: erased ones too.
fn changed_grades(form: &[(String, String)]) -> Changed {
    let was_text = form
        .iter()
        .find(|(k, _)| k == "was")
        .map_or("", |(_, v)| v.as_str());
    let was: HashMap<(i64, i64), &str> = was_text
        .split(';')
        .filter_map(|item| {
            let (key, value) = item.split_once('=')?;
            let (enrollment, area) = key.split_once(':')?;
            Some(((enrollment.parse().ok()?, area.parse().ok()?), value))
        })
        .collect();
    let mut grades = Vec::new();
    let mut typed = HashMap::new();
    for (name, value) in form {
        let Some((enrollment, area)) = name
            .strip_prefix('g')
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(e, a)| Some((e.parse::<i64>().ok()?, a.parse::<i64>().ok()?)))
        else {
            continue;
        };
        let value = value.trim().to_uppercase();
        let Some(shown) = was.get(&(enrollment, area)) else {
            continue;
        };
        if value == *shown {
            continue;
        }
        typed.insert((enrollment, area), value.clone());
        grades.push(GradeInput {
            enrollment_id: enrollment,
            area_id: area,
            value: (!value.is_empty()).then_some(value),
            was: Some((*shown).to_owned()),
        });
    }
    Changed { grades, typed }
}

/// The grades of a refused save that someone else changed after the page showed them, as
/// "student (area)" (read again, for the message).
async fn changed_names(
    state: &AppState,
    signed: &Signed,
    section: i64,
    keys: &[(i64, i64)],
) -> Vec<String> {
    let Ok(acta) = sheet::read(&state.db, &signed.principal, section).await else {
        return Vec::new();
    };
    keys.iter()
        .filter_map(|(enrollment, area)| {
            let student = acta
                .students
                .iter()
                .find(|s| s.enrollment_id == *enrollment)?;
            let area = acta
                .areas
                .iter()
                .find(|a| a.id == *area)
                .map_or("", |a| a.code.as_str());
            Some(format!("{} ({area})", student.full_name))
        })
        .collect()
}

/// The errors a refused save lists under `details.grades`: (index, field, message).
fn grade_errors(error: &ApiError) -> Vec<(usize, String, String)> {
    error
        .details()
        .and_then(|details| details["grades"].as_array())
        .map(|list| {
            list.iter()
                .map(|e| {
                    (
                        e["index"].as_u64().unwrap_or_default() as usize,
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["message"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The acta's forms: `notas`, `situaciones`, `cerrar`, `recuperacion`, `modificacion`.
pub async fn act(
    State(state): State<AppState>,
    Path((section, action)): Path<(String, String)>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { signed, form } = posted;
    let Ok(section) = section.parse::<i64>() else {
        return not_found(&signed);
    };
    let p = &signed.principal;
    match crate::console::register::reads_section(&state, p, section).await {
        Ok(true) => {}
        Ok(false) => return not_found(&signed),
        Err(error) => return error.into_response(),
    }
    let mut notice = Notice::default();
    let result = match action.as_str() {
        "notas" => {
            let changed = changed_grades(&form);
            if changed.grades.is_empty() {
                return Redirect::to(&format!("{}?hecho=sin-cambios", acta_path(section)))
                    .into_response();
            }
            let Changed {
                grades: changed,
                typed,
            } = changed;
            let keys: Vec<(i64, i64)> = changed
                .iter()
                .map(|g| (g.enrollment_id, g.area_id))
                .collect();
            let saved = grades::enter(
                &state.db,
                crate::links::Links::new(&state.config.auth.public_base_url),
                p,
                section,
                GradesInput { grades: changed },
            )
            .await;
            let Err(error) = saved else {
                return finish(&state, &signed, section, &action, Ok(()), notice).await;
            };
            notice.typed = typed;
            let marked: Vec<(usize, String)> = grade_errors(&error)
                .into_iter()
                .map(|(index, _, message)| (index, message))
                .collect();
            for (index, _) in &marked {
                if let Some(key) = keys.get(*index) {
                    notice.invalid.insert(*key);
                }
            }
            if error.code() == Some(crate::error::ErrorCode::ChangedSinceLoaded) {
                // Someone else wrote those grades after the page loaded: nothing was written, and
                // the page shows what stands now with what this person typed marked.
                let moved: Vec<(i64, i64)> = marked
                    .iter()
                    .filter_map(|(index, _)| keys.get(*index).copied())
                    .collect();
                let names = changed_names(&state, &signed, section, &moved).await;
                Err(ApiError::because(
                    crate::error::ErrorCode::ChangedSinceLoaded,
                    format!(
                        "Mientras editaba, alguien más registró estas calificaciones: {}. No se guardó nada: revise lo que figura ahora y vuelva a guardar.",
                        names.join("; ")
                    ),
                ))
            } else {
                notice
                    .errors
                    .extend(marked.into_iter().map(|(_, message)| message));
                Err(error)
            }
        }
        "situaciones" => {
            let value = |name: String| {
                form.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.trim().to_owned())
                    .unwrap_or_default()
            };
            let mut unknown = false;
            let situations: Vec<SituationInput> = form
                .iter()
                .filter_map(|(k, v)| {
                    let enrollment = k.strip_prefix('s')?.parse::<i64>().ok()?;
                    let Ok(situation) = FinalSituation::parse(v) else {
                        unknown = true;
                        return None;
                    };
                    let reason = value(format!("r{enrollment}"));
                    Some(SituationInput {
                        enrollment_id: enrollment,
                        situation: Some(situation),
                        reason: (!reason.is_empty()).then_some(reason),
                    })
                })
                .collect();
            if unknown {
                Err(ApiError::field(
                    "situations",
                    "Elija cada situación final de la lista.",
                ))
            } else if situations.is_empty() {
                Err(ApiError::field(
                    "situations",
                    "No hay situaciones que registrar.",
                ))
            } else {
                closure::record_situations(
                    &state.db,
                    crate::links::Links::new(&state.config.auth.public_base_url),
                    p,
                    section,
                    SituationsInput { situations },
                )
                .await
                .map(drop)
            }
        }
        "cerrar" => closure::close(&state.db, p, section).await.map(drop),
        "recuperacion" => match recovery_input(&form) {
            Ok(students) if students.is_empty() => Err(ApiError::field(
                "students",
                "Escriba las notas de la recuperación.",
            )),
            Ok(students) => {
                recovery::record_results(&state.db, p, section, RecoveriesInput { students })
                    .await
                    .map(drop)
            }
            Err(error) => Err(error),
        },
        "modificacion" => exceptional::request::<ActaModification>(
            &state.db,
            crate::links::Links::new(&state.config.auth.public_base_url),
            p,
            section,
            ModificationRequest {
                reason: form
                    .iter()
                    .find(|(k, _)| k == "reason")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
            },
        )
        .await
        .map(drop),
        _ => return not_found(&signed),
    };
    finish(&state, &signed, section, &action, result, notice).await
}

/// After a form: back to the acta with what was done, or the acta again with why not.
async fn finish(
    state: &AppState,
    signed: &Signed,
    section: i64,
    action: &str,
    result: Result<(), ApiError>,
    mut notice: Notice,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("{}?hecho={action}", acta_path(section))).into_response(),
        Err(error @ ApiError::Client { .. }) => {
            notice.error = Some(spanish(&error));
            page(state, signed, section, error.status(), notice).await
        }
        Err(error) => error.into_response(),
    }
}

/// The recuperación form: `v{enrollment}-{area}` grades, `s{enrollment}` situations and
/// `r{enrollment}` reasons; students left without grades are not sent.
fn recovery_input(form: &[(String, String)]) -> Result<Vec<RecoveryInput>, ApiError> {
    let mut students: Vec<RecoveryInput> = Vec::new();
    for (name, value) in form {
        let Some((enrollment, area)) = name
            .strip_prefix('v')
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(e, a)| Some((e.parse::<i64>().ok()?, a.parse::<i64>().ok()?)))
        else {
            continue;
        };
        let value = value.trim().to_uppercase();
        if value.is_empty() {
            continue;
        }
        let grade = RecoveryGradeInput {
            area_id: area,
            value,
        };
        match students.iter_mut().find(|s| s.enrollment_id == enrollment) {
            Some(student) => student.grades.push(grade),
            None => {
                let field = |prefix: char| {
                    form.iter()
                        .find(|(k, _)| *k == format!("{prefix}{enrollment}"))
                        .map(|(_, v)| v.trim().to_owned())
                        .filter(|v| !v.is_empty())
                };
                let situation = match field('s') {
                    Some(code) => Some(FinalSituation::parse(&code).map_err(|_| {
                        ApiError::field("situation", "Elija promovido o permanece.")
                    })?),
                    None => None,
                };
                students.push(RecoveryInput {
                    enrollment_id: enrollment,
                    grades: vec![grade],
                    situation,
                    reason: field('r'),
                });
            }
        }
    }
    Ok(students)
}

/// A grades file (CSV) sent from the page: the form token is read first, and nothing else
/// without it; the file's errors are shown on the grid, each at its student and area.
pub async fn import(
    State(state): State<AppState>,
    Path(section): Path<String>,
    signed: Signed,
    mut multipart: Multipart,
) -> Response {
    let Ok(section) = section.parse::<i64>() else {
        return not_found(&signed);
    };
    let token = match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some("csrf") => field.text().await.ok(),
        _ => None,
    };
    if !token.is_some_and(|t| same(&t, &signed.csrf)) {
        return forbidden(Some(&signed));
    }
    let too_large = || {
        ApiError::because(
            crate::error::ErrorCode::PayloadTooLarge,
            format!(
                "El archivo de calificaciones no puede superar {} KB.",
                MAX_FILE_BYTES / 1024
            ),
        )
    };
    let mut read = Ok(None);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("archivo") => {
                read = field.bytes().await.map(Some).map_err(|e| e.status());
                break;
            }
            Ok(Some(_)) => continue,
            Ok(None) => break,
            Err(e) => {
                read = Err(e.status());
                break;
            }
        }
    }
    let mut notice = Notice::default();
    let result = match read {
        Err(StatusCode::PAYLOAD_TOO_LARGE) => Err(too_large()),
        Err(_) => Err(ApiError::invalid_body(
            "El formulario no se pudo leer: vuelva a elegir el archivo.",
        )),
        Ok(Some(bytes)) if bytes.len() > MAX_FILE_BYTES => Err(too_large()),
        Ok(Some(bytes)) if !bytes.is_empty() => {
            let saved = grades::import(
                &state.db,
                crate::links::Links::new(&state.config.auth.public_base_url),
                &signed.principal,
                section,
                &bytes,
            )
            .await;
            if let Err(error) = &saved {
                on_the_grid(&state, &signed, section, &bytes, error, &mut notice).await;
            }
            saved.map(drop)
        }
        _ => Err(ApiError::field(
            "archivo",
            "Elija el archivo CSV de calificaciones.",
        )),
    };
    finish(&state, &signed, section, "importar", result, notice).await
}

/// Places a refused file's errors on the grid: each line's student by its document, each
/// column's area by its code; the file's values are shown where they were refused.
async fn on_the_grid(
    state: &AppState,
    signed: &Signed,
    section: i64,
    bytes: &[u8],
    error: &ApiError,
    notice: &mut Notice,
) {
    let Ok(acta) = sheet::read(&state.db, &signed.principal, section).await else {
        return;
    };
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let separator = if text.lines().next().is_some_and(|h| h.contains(';')) {
        ';'
    } else {
        ','
    };
    let lines: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split(separator).map(str::trim).collect())
        .collect();
    let header = lines.first().cloned().unwrap_or_default();
    let column = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let document = column("documento");
    for (line, field, message) in grade_errors(error) {
        notice
            .errors
            .push(format!("Línea {line}, {field}: {message}"));
        let row = lines.get(line.saturating_sub(1));
        let student = row
            .zip(document)
            .and_then(|(row, at)| row.get(at))
            .and_then(|doc| acta.students.iter().find(|s| s.document == *doc));
        let area = acta.areas.iter().find(|a| a.code == field);
        if let (Some(student), Some(area)) = (student, area) {
            let key = (student.enrollment_id, area.id);
            notice.invalid.insert(key);
            if let Some(value) = row.zip(column(&area.code)).and_then(|(r, at)| r.get(at)) {
                notice.typed.insert(key, (*value).to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_grades_changed_from_what_the_page_showed_are_sent_and_an_emptied_one_is_erased() {
        let form: Vec<(String, String)> = [
            ("was", "5:1=14;5:2=;6:1=AD;"),
            ("g5-1", "14"),
            ("g5-2", "9"),
            ("g6-1", ""),
            ("g7-1", "12"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let changed = changed_grades(&form);
        let sent: Vec<(i64, i64, Option<&str>)> = changed
            .grades
            .iter()
            .map(|g| (g.enrollment_id, g.area_id, g.value.as_deref()))
            .collect();
        // 7-1 was not on the page: not sent.
        assert_eq!(sent, [(5, 2, Some("9")), (6, 1, None)]);
    }
}
