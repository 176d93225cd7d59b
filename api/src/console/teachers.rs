//! A section's teachers as a page (`/consola/secciones/{section}/docentes`), for its director:
//! the teachers and the areas each grades (checked boxes of the section's areas; none checked,
//! every area), a teacher of the IE's staff added, one taken off the section. The services of
//! `/sections/{id}/teachers` and `…/teachers/{person}/areas`.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context};

use super::{
    layout::{PageQuery, message_page, render_wide},
    session::{Posted, Signed},
    ticket_view::spanish,
};
use crate::{
    auth::policy::Action,
    error::ApiError,
    evaluation::{
        sheet,
        teachers::{self, TeacherAreas},
    },
    links::{acta_path, teachers_path},
    registry::{self, TeacherAssignment},
    state::AppState,
};

fn not_found(signed: &Signed) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        Some(&signed.person()),
        "Sección no encontrada",
        "No encontramos esa sección, o no está a su alcance.",
    )
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    #[serde(default)]
    hecho: String,
}

/// The page.
pub async fn page(
    State(state): State<AppState>,
    Path(section): Path<String>,
    PageQuery(done): PageQuery<Done>,
    signed: Signed,
) -> Response {
    let Ok(section) = section.parse::<i64>() else {
        return not_found(&signed);
    };
    let text = match done.hecho.as_str() {
        "areas" => Some("Áreas guardadas."),
        "agregar" => Some("Docente asignado a la sección."),
        "quitar" => Some("Docente retirado de la sección."),
        _ => None,
    };
    show(&state, &signed, section, StatusCode::OK, text, None).await
}

async fn show(
    state: &AppState,
    signed: &Signed,
    section: i64,
    status: StatusCode,
    done: Option<&str>,
    error: Option<String>,
) -> Response {
    let p = &signed.principal;
    // The page is its director's: who only reads the section is told so (out of reach, not found).
    match crate::registry::section_scope(&state.db, section).await {
        Ok(scope) if p.can(Action::ManageRoster, &scope.target) => {}
        Ok(scope) if p.can(Action::ReadRoster, &scope.target) => {
            return message_page(
                StatusCode::FORBIDDEN,
                Some(&signed.person()),
                "Sin acceso",
                "Los docentes de una sección y sus áreas los asigna el director de la IE.",
            );
        }
        Ok(_) | Err(ApiError::Client { .. }) => return not_found(signed),
        Err(error) => return error.into_response(),
    }
    let loaded = async {
        let acta = sheet::read(&state.db, p, section).await?;
        let teachers = registry::list_teachers(&state.db, p, section).await?;
        let areas = teachers::areas_of_section(&state.db, p, section).await?;
        // The page is the director's (checked above): the IE's staff is its to list.
        let staff = registry::list_staff(&state.db, p, acta.school_id).await?;
        Ok::<_, ApiError>((acta, teachers, areas, staff))
    }
    .await;
    let (acta, listed, areas, staff) = match loaded {
        Ok(found) => found,
        Err(ApiError::Client { .. }) => return not_found(signed),
        Err(error) => return error.into_response(),
    };
    let rows: Vec<Value> = listed
        .iter()
        .map(|t| {
            let mine = areas.get(&t.person_id).cloned().unwrap_or_default();
            let boxes: Vec<Value> = acta
                .areas
                .iter()
                .map(|a| context! { id => a.id, name => &a.name, checked => mine.contains(&a.id) })
                .collect();
            context! {
                person => t.person_id,
                name => format!("{} {} {}", t.given_names, t.paternal_surname, t.maternal_surname),
                areas => boxes,
                every => mine.is_empty(),
            }
        })
        .collect();
    let teaching: Vec<i64> = listed.iter().map(|t| t.person_id).collect();
    let candidates: Vec<Value> = staff
        .iter()
        .filter(|s| s.active && !teaching.contains(&s.person_id))
        .map(|s| {
            context! {
                id => s.person_id,
                name => format!("{} {}, {} ({})", s.paternal_surname, s.maternal_surname, s.given_names, s.position),
            }
        })
        .collect();
    render_wide(
        status,
        Some(&signed.person()),
        "Docentes de la sección",
        "console_teachers.html",
        context! {
            heading => format!("Docentes de {} {}, {}", acta.grade, acta.section, acta.year),
            base => teachers_path(section),
            acta => acta_path(section),
            csrf => &signed.csrf,
            rows,
            candidates,
            done,
            error,
        },
    )
}

/// The page's forms: `agregar` (a person of the staff), `{person}/areas`, `{person}/quitar`.
pub async fn act(
    State(state): State<AppState>,
    Path(path): Path<Vec<String>>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { signed, form } = posted;
    let p = &signed.principal;
    let Some(section) = path.first().and_then(|s| s.parse::<i64>().ok()) else {
        return not_found(&signed);
    };
    let value = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let person = path.get(1).and_then(|s| s.parse::<i64>().ok());
    let step = path.last().map(String::as_str).unwrap_or_default();
    let result = match (person, step) {
        (None, "agregar") => match value("person_id").parse() {
            Ok(person_id) => {
                registry::assign_teacher(&state.db, p, section, TeacherAssignment { person_id })
                    .await
            }
            Err(_) => Err(ApiError::field(
                "person_id",
                "Elija a un docente del personal.",
            )),
        },
        (Some(person), "areas") => {
            let area_ids = form
                .iter()
                .filter(|(k, _)| k == "area")
                .filter_map(|(_, v)| v.parse().ok())
                .collect();
            teachers::set_areas(&state.db, p, section, person, TeacherAreas { area_ids })
                .await
                .map(drop)
        }
        (Some(person), "quitar") => registry::unassign_teacher(&state.db, p, section, person).await,
        _ => return not_found(&signed),
    };
    match result {
        Ok(()) => Redirect::to(&format!("{}?hecho={step}", teachers_path(section))).into_response(),
        Err(error @ ApiError::Client { .. }) => {
            let text = spanish(&error);
            show(&state, &signed, section, error.status(), None, Some(text)).await
        }
        Err(error) => error.into_response(),
    }
}
