//! An IE's staff as a page (`/consola/personal`), for its director: who works there (names in
//! Spanish order, DNI, position), and the form that registers a person as staff, the step before
//! giving a teacher its sections or an account. The services of `/schools/{id}/staff`.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{
    certificates::school_of,
    layout::{PageQuery, message_page, render_wide},
    session::{Posted, Signed},
    ticket_view::spanish,
};
use crate::{
    error::ApiError,
    links::STAFF_PAGE_PATH,
    registry::{self, NewStaff},
    state::AppState,
};

/// The positions of an IE's staff, as people read them.
const POSITIONS: [(&str, &str); 5] = [
    ("teacher", "Docente"),
    ("deputy_director", "Subdirector(a)"),
    ("secretary", "Secretario(a)"),
    ("assistant", "Auxiliar"),
    ("administrative", "Administrativo(a)"),
];

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    ie: Option<i64>,
    #[serde(default)]
    hecho: String,
}

/// The page.
pub async fn page(
    State(state): State<AppState>,
    PageQuery(asked): PageQuery<Asked>,
    signed: Signed,
) -> Response {
    let done = (asked.hecho == "registrar").then_some("Persona registrada como personal de la IE.");
    show(&state, &signed, asked.ie, StatusCode::OK, done, None).await
}

async fn show(
    state: &AppState,
    signed: &Signed,
    ie: Option<i64>,
    status: StatusCode,
    done: Option<&str>,
    error: Option<String>,
) -> Response {
    let refused = || {
        message_page(
            StatusCode::FORBIDDEN,
            Some(&signed.person()),
            "Sin acceso",
            "El personal de la IE lo registra su director.",
        )
    };
    let Some(school) = school_of(signed, ie) else {
        return refused();
    };
    let staff = match registry::list_staff(&state.db, &signed.principal, school).await {
        Ok(staff) => staff,
        Err(ApiError::Client { .. }) => return refused(),
        Err(error) => return error.into_response(),
    };
    let label = |code: &str| {
        POSITIONS
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(code.to_owned(), |(_, l)| (*l).to_owned())
    };
    let rows: Vec<Value> = staff
        .iter()
        .map(|s| {
            context! {
                name => format!("{} {}, {}", s.paternal_surname, s.maternal_surname, s.given_names),
                dni => &s.dni,
                position => label(&s.position),
                email => &s.email,
                active => s.active,
            }
        })
        .collect();
    render_wide(
        status,
        Some(&signed.person()),
        "Personal de la IE",
        "console_staff.html",
        context! {
            rows,
            action => STAFF_PAGE_PATH,
            ie,
            csrf => &signed.csrf,
            positions => POSITIONS.iter().map(|(code, label)| context! { code, label }).collect::<Vec<_>>(),
            done,
            error,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct StaffForm {
    ie: Option<i64>,
    #[serde(default)]
    dni: String,
    #[serde(default)]
    paternal_surname: String,
    #[serde(default)]
    maternal_surname: String,
    #[serde(default)]
    given_names: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    cell_phone: String,
    #[serde(default)]
    position: String,
}

/// Registers a person as staff of the IE.
pub async fn register(State(state): State<AppState>, posted: Posted<StaffForm>) -> Response {
    let Posted { signed, form } = posted;
    let Some(school) = school_of(&signed, form.ie) else {
        return show(&state, &signed, form.ie, StatusCode::FORBIDDEN, None, None).await;
    };
    let optional = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_owned());
    let body = NewStaff {
        dni: form.dni.trim().to_owned(),
        paternal_surname: form.paternal_surname.clone(),
        maternal_surname: form.maternal_surname.clone(),
        given_names: form.given_names.clone(),
        email: optional(&form.email),
        cell_phone: optional(&form.cell_phone),
        position: form.position.clone(),
    };
    match registry::add_staff(&state.db, &signed.principal, school, body).await {
        Ok(_) => {
            let ie = form.ie.map(|ie| format!("&ie={ie}")).unwrap_or_default();
            Redirect::to(&format!("{STAFF_PAGE_PATH}?hecho=registrar{ie}")).into_response()
        }
        Err(error @ ApiError::Client { .. }) => {
            let text = spanish(&error);
            show(&state, &signed, form.ie, error.status(), None, Some(text)).await
        }
        Err(error) => error.into_response(),
    }
}
