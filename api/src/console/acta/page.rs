//! The acta's page: the grid, the situations, the recuperación, the closure and the
//! modification as they stand, with what a form just did or why it was refused; and its PDF.

use std::collections::{HashMap, HashSet};

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use minijinja::{Value, context};
use serde::Deserialize;

use entity::vocabulary::{AreaKind, FinalSituation, GradeScale};

use crate::console::{
    layout::{PageQuery, message_page, pdf, render_wide},
    session::Signed,
};
use crate::{
    error::ApiError,
    evaluation::{
        grades::allowed_areas,
        scale::{self, situation_label},
        sheet::{self, ActaState, ActaView},
    },
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
pub(super) struct Notice {
    pub(super) done: Option<&'static str>,
    pub(super) error: Option<String>,
    /// Each error in a sentence (a file's line and column, a grid's student and area).
    pub(super) errors: Vec<String>,
    pub(super) typed: HashMap<(i64, i64), String>,
    pub(super) invalid: HashSet<(i64, i64)>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    hecho: String,
}

pub(super) fn not_found(signed: &Signed) -> Response {
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
pub(super) async fn page(
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
