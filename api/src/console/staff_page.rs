//! An IE's staff as a page (`/consola/personal`), for its director: who works there (names in
//! Spanish order, DNI, position), and the form that registers a person as staff, the step before
//! giving a teacher its sections or an account; then the IE's users, each with the button that
//! gives it a temporary password (for whoever has no e-mail of its own confirmed). The services of
//! `/schools/{id}/staff`, `/accounts` and `/users/{id}/password-reset`.

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
    registry::{self, NewStaff, search::UnitQuery},
    state::AppState,
};

/// Where a user's temporary password is asked for.
pub const RESET_PATH: &str = "/consola/personal/contrasena";

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

/// The users with a role held in the IE (`/accounts?school_id=`): those this page lists.
fn in_school(school: i64) -> UnitQuery {
    UnitQuery {
        school_id: Some(school),
        ugel_id: None,
        dre_id: None,
    }
}

/// What a page shows besides the lists: what was done, what was refused, a temporary password
/// given (once).
#[derive(Default)]
struct Told<'a> {
    done: Option<&'a str>,
    error: Option<String>,
    credentials: Option<crate::provisioning::Credentials>,
}

async fn show(
    state: &AppState,
    signed: &Signed,
    ie: Option<i64>,
    status: StatusCode,
    done: Option<&str>,
    error: Option<String>,
) -> Response {
    let told = Told {
        done,
        error,
        ..Told::default()
    };
    show_told(state, signed, ie, status, told).await
}

async fn show_told(
    state: &AppState,
    signed: &Signed,
    ie: Option<i64>,
    status: StatusCode,
    told: Told<'_>,
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
    let (staff, accounts) = match tokio::try_join!(
        registry::list_staff(&state.db, &signed.principal, school),
        registry::search::unit_accounts(&state.db, &signed.principal, in_school(school)),
    ) {
        Ok(found) => found,
        Err(ApiError::Client { .. }) => return refused(),
        Err(error) => return error.into_response(),
    };
    // Who recovers by link gets no button (but from the administrator, the last resort).
    let ids: Vec<i64> = accounts.iter().map(|a| a.user_id).collect();
    let recovering = if signed.principal.has_role(crate::auth::Role::MineduAdmin) {
        Default::default()
    } else {
        match crate::auth::email::recovering(&state.db, &ids).await {
            Ok(recovering) => recovering,
            Err(error) => return error.into_response(),
        }
    };
    // One's own password is changed, not reset.
    let accounts: Vec<Value> = accounts
        .iter()
        .filter(|a| a.user_id != signed.principal.user_id)
        .map(|a| {
            context! {
                user_id => a.user_id,
                recovers => recovering.contains(&a.user_id),
                name => format!("{} {}, {}", a.paternal_surname, a.maternal_surname, a.given_names),
                username => &a.username,
                roles => a.assignments.iter().map(|r| r.role_name).collect::<Vec<_>>().join(", "),
            }
        })
        .collect();
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
            accounts,
            action => STAFF_PAGE_PATH,
            reset => RESET_PATH,
            ie,
            csrf => &signed.csrf,
            positions => POSITIONS.iter().map(|(code, label)| context! { code, label }).collect::<Vec<_>>(),
            done => told.done,
            error => told.error,
            credentials => told.credentials.map(|c| context! { username => c.username, password => c.temporary_password }),
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

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    ie: Option<i64>,
    user_id: i64,
}

/// Gives a user of the IE a temporary password, shown once on the page that answers: only where
/// the director manages every role and registration of the account, and the account has no
/// e-mail of its own confirmed (else its owner recovers it by the link).
pub async fn reset(State(state): State<AppState>, posted: Posted<ResetForm>) -> Response {
    let Posted { signed, form } = posted;
    // Only a user this page lists: checked before anything is written.
    let listed = match school_of(&signed, form.ie) {
        Some(school) => {
            registry::search::unit_accounts(&state.db, &signed.principal, in_school(school))
                .await
                .map(|accounts| accounts.iter().any(|a| a.user_id == form.user_id))
        }
        None => Ok(false),
    };
    match listed {
        Ok(true) => {}
        Ok(false) | Err(ApiError::Client { .. }) => {
            return message_page(
                StatusCode::NOT_FOUND,
                Some(&signed.person()),
                "No encontrado",
                "Ese usuario no figura entre los de la IE.",
            );
        }
        Err(error) => return error.into_response(),
    }
    let (status, told) = match crate::provisioning::reset_by_manager(
        &state.db,
        &signed.principal,
        form.user_id,
    )
    .await
    {
        Ok(credentials) => (
            StatusCode::OK,
            Told {
                done: Some(
                    "Contraseña temporal generada: entréguela a su titular, que deberá cambiarla al ingresar. No se volverá a mostrar.",
                ),
                credentials: Some(credentials),
                ..Told::default()
            },
        ),
        Err(error @ ApiError::Client { .. }) => (
            error.status(),
            Told {
                error: Some(spanish(&error)),
                ..Told::default()
            },
        ),
        Err(error) => return error.into_response(),
    };
    show_told(&state, &signed, form.ie, status, told).await
}
