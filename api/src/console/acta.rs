//! The acta consolidada de evaluación as a page (`/consola/actas/{section}`): the grades grid
//! (students × areas, each input bound to its area's scale, a teacher's inputs only in its
//! areas), a CSV import whose errors are shown on the grid, the final situations with the
//! grades' suggestion, the closure, the recuperación, the exceptional modification and the PDF.
//! Every form calls the service of the API's route (`evaluation::{sheet, grades, closure,
//! recovery}`, `exceptional`).

use std::collections::{HashMap, HashSet};

use axum::{
    extract::{Multipart, Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context};
use serde::Deserialize;

use entity::vocabulary::{AreaKind, FinalSituation, GradeScale};

use super::{
    layout::{PageQuery, message_page, pdf, render_wide},
    session::{Posted, Signed, forbidden, same},
    ticket_view::spanish,
};
use crate::{
    error::ApiError,
    evaluation::{
        closure::{self, SituationInput, SituationsInput},
        grades::{self, GradeInput, GradesInput, allowed_areas},
        modification::ActaModification,
        recovery::{self, RecoveriesInput, RecoveryGradeInput, RecoveryInput},
        scale::{self, situation_label},
        sheet::{self, ActaState, ActaView},
    },
    exceptional::{self, ModificationRequest},
    links::{MODIFICATIONS_PATH, acta_path},
    registry::repo::section_scope,
    state::AppState,
    time::{LIMA, now},
};

/// The acta's page, as the router names it.
pub const PATH: &str = "/consola/actas/{section}";

/// The largest grades file the page takes.
pub const MAX_FILE_BYTES: usize = 512 * 1024;

fn done_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "notas" => "Calificaciones guardadas.",
        "sin-cambios" => "No había cambios que guardar.",
        "importar" => "Calificaciones del archivo guardadas.",
        "situaciones" => "Situaciones finales registradas.",
        "cerrar" => "Acta cerrada.",
        "recuperacion" => "Resultados de la recuperación registrados.",
        "modificacion" => "Solicitud de modificación excepcional enviada a la UGEL.",
        _ => return None,
    })
}

/// What the page shows besides the acta: a message, and after a refused save, what was typed
/// (or read from the file) with the cells in error.
#[derive(Default)]
struct Notice {
    done: Option<&'static str>,
    error: Option<String>,
    /// Each error in a sentence (a file's line and column, a grid's student and area).
    errors: Vec<String>,
    typed: HashMap<(i64, i64), String>,
    invalid: HashSet<(i64, i64)>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    hecho: String,
}

fn not_found(signed: &Signed) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        Some(&signed.person()),
        "Acta no encontrada",
        "No encontramos esa acta, o no está a su alcance.",
    )
}

/// The page.
pub async fn show(
    State(state): State<AppState>,
    Path(section): Path<String>,
    PageQuery(done): PageQuery<Done>,
    signed: Signed,
) -> Response {
    let Ok(section) = section.parse::<i64>() else {
        return not_found(&signed);
    };
    let notice = Notice {
        done: done_text(&done.hecho),
        ..Notice::default()
    };
    page(&state, &signed, section, StatusCode::OK, notice).await
}

/// The acta with its forms; an acta out of reach is not found.
async fn page(
    state: &AppState,
    signed: &Signed,
    section: i64,
    status: StatusCode,
    notice: Notice,
) -> Response {
    let p = &signed.principal;
    let acta = match sheet::read(&state.db, p, section).await {
        Ok(acta) => acta,
        Err(ApiError::Client { .. }) => return not_found(signed),
        Err(error) => return error.into_response(),
    };
    let scope = match section_scope(&state.db, section).await {
        Ok(scope) => scope,
        Err(error) => return error.into_response(),
    };
    let keeps = p.can(crate::auth::policy::Action::KeepActa, &scope.target);
    let grades = p.can(crate::auth::policy::Action::EnterGrades, &scope.target);
    let allowed = match allowed_areas(&state.db, p, &scope).await {
        Ok(allowed) => allowed,
        Err(error) => return error.into_response(),
    };
    let open = acta.state != ActaState::Cerrada;
    let writable = |area: i64| grades && open && allowed.as_ref().is_none_or(|a| a.contains(&area));
    let (rows, was) = grid(&acta, &writable, &notice);
    let areas: Vec<Value> = acta
        .areas
        .iter()
        .map(|a| {
            context! {
                id => a.id,
                code => &a.code,
                name => &a.name,
                scale => if a.scale == GradeScale::Literal { "AD, A, B o C" } else { "0 a 20" },
            }
        })
        .collect();
    let situations: Vec<Value> = [
        FinalSituation::Promovido,
        FinalSituation::RequiereRecuperacion,
        FinalSituation::Permanece,
    ]
    .into_iter()
    .map(|s| context! { code => s.code(), label => situation_label(s) })
    .collect();
    let recoveries = recovery_rows(&acta);
    let title = format!(
        "Acta consolidada de evaluación: {} {}, {}",
        acta.grade, acta.section, acta.year
    );
    let any_input = acta.areas.iter().any(|a| writable(a.id));
    render_wide(
        status,
        Some(&signed.person()),
        &title,
        "console_acta.html",
        context! {
            heading => &title,
            base => acta_path(section),
            csrf => &signed.csrf,
            school => &acta.school_name,
            code => &acta.school_code,
            state => match acta.state {
                ActaState::Abierta => "Abierta",
                ActaState::Cerrada => "Cerrada",
                ActaState::EnModificacion => "En modificación excepcional",
            },
            closed => acta.state == ActaState::Cerrada,
            until => acta.modification_until.map(|u| u.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string()),
            done => notice.done,
            error => notice.error,
            errors => notice.errors,
            areas,
            rows,
            was,
            editable => any_input,
            keeps,
            keeps_open => keeps && open,
            situations,
            recoveries,
            modifications => MODIFICATIONS_PATH,
            max_kb => MAX_FILE_BYTES / 1024,
        },
    )
}

/// The grid's rows as the template reads them, and the grades as the page showed them
/// (`enrollment:area=value;…`): a save writes only what the person changed.
fn grid(acta: &ActaView, writable: &dyn Fn(i64) -> bool, notice: &Notice) -> (Vec<Value>, String) {
    let scales: HashMap<i64, GradeScale> = acta.areas.iter().map(|a| (a.id, a.scale)).collect();
    let mut was = String::new();
    let rows = acta
        .students
        .iter()
        .map(|row| {
            let active = row.enrollment_status == entity::vocabulary::EnrollmentStatus::Activo;
            let shown: HashMap<i64, &str> = row
                .grades
                .iter()
                .map(|g| (g.area_id, g.value.as_str()))
                .collect();
            let cells: Vec<Value> = acta
                .areas
                .iter()
                .map(|area| {
                    let value = shown.get(&area.id).copied().unwrap_or("");
                    let input = active && writable(area.id);
                    if input {
                        was.push_str(&format!("{}:{}={value};", row.enrollment_id, area.id));
                    }
                    let key = (row.enrollment_id, area.id);
                    context! {
                        area => area.id,
                        input,
                        value => notice.typed.get(&key).map_or(value, String::as_str),
                        invalid => notice.invalid.contains(&key),
                        literal => scales.get(&area.id) == Some(&GradeScale::Literal),
                    }
                })
                .collect();
            let chosen = row.situation.or(row.suggested);
            context! {
                number => row.number,
                id => row.enrollment_id,
                name => &row.full_name,
                active,
                cells,
                situation => row.situation.map(situation_label),
                suggested => row.suggested.map(situation_label),
                chosen => chosen.map(FinalSituation::code),
                differs => row.situation.is_some() && row.situation != row.suggested,
                reason => &row.reason,
                missing => row.missing_areas.join(", "),
            }
        })
        .collect();
    (rows, was)
}

/// The students the closed acta left requiring recuperación, with the areas they failed.
fn recovery_rows(acta: &ActaView) -> Vec<Value> {
    if acta.state == ActaState::Abierta {
        return Vec::new();
    }
    let names: HashMap<i64, (&str, GradeScale)> = acta
        .areas
        .iter()
        .map(|a| (a.id, (a.name.as_str(), a.scale)))
        .collect();
    acta.students
        .iter()
        .filter(|s| s.situation == Some(FinalSituation::RequiereRecuperacion))
        .map(|s| {
            let recorded: HashMap<i64, &str> = s
                .recovery
                .iter()
                .flat_map(|r| r.grades.iter().map(|g| (g.area_id, g.value.as_str())))
                .collect();
            let failed: Vec<Value> = failed_areas(acta, s)
                .into_iter()
                .map(|area| {
                    let (name, scale) = names
                        .get(&area)
                        .copied()
                        .unwrap_or(("", GradeScale::Vigesimal));
                    context! {
                        id => area,
                        name,
                        literal => scale == GradeScale::Literal,
                        value => recorded.get(&area).copied().unwrap_or(""),
                    }
                })
                .collect();
            context! {
                id => s.enrollment_id,
                name => &s.full_name,
                areas => failed,
                recorded => s.recovery.as_ref().map(|r| situation_label(r.situation)),
            }
        })
        .collect()
}

/// The areas a student failed (those a recuperación covers: all but comportamiento), by the
/// scale of each.
fn failed_areas(acta: &ActaView, student: &sheet::StudentRow) -> Vec<i64> {
    acta.areas
        .iter()
        .filter(|a| a.kind != AreaKind::Comportamiento)
        .filter(|a| {
            student.grades.iter().any(|g| {
                g.area_id == a.id
                    && scale::parse(a.scale, &g.value).is_ok_and(|v| scale::fails(a.scale, v))
            })
        })
        .map(|a| a.id)
        .collect()
}

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
    let ApiError::Client {
        details: Some(details),
        ..
    } = error
    else {
        return Vec::new();
    };
    details["grades"]
        .as_array()
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
    match super::register::reads_section(&state, p, section).await {
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
            let saved = grades::enter(&state.db, p, section, GradesInput { grades: changed }).await;
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
                closure::record_situations(&state.db, p, section, SituationsInput { situations })
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
            let saved = grades::import(&state.db, &signed.principal, section, &bytes).await;
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

/// The acta as a PDF (the API's), to print, sign and seal.
pub async fn acta_pdf(
    State(state): State<AppState>,
    Path(section): Path<String>,
    signed: Signed,
) -> Response {
    let Ok(section) = section.parse::<i64>() else {
        return not_found(&signed);
    };
    let view = match sheet::read(&state.db, &signed.principal, section).await {
        Ok(view) => view,
        Err(ApiError::Client { .. }) => return not_found(&signed),
        Err(error) => return error.into_response(),
    };
    let name = format!("acta-evaluacion-{}-{section}", view.year);
    let printed = now();
    match crate::time::spawn_blocking(move || crate::evaluation::pdf::render(&view, printed)).await
    {
        Ok(bytes) => pdf(&name, bytes),
        Err(error) => ApiError::Internal(error.into()).into_response(),
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
