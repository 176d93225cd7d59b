//! "Mi correo": the signed-in person confirms its e-mail with a code sent there (the API's
//! `/me/email`), so that recovery links reach it.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::context;
use serde::Deserialize;

use super::{
    layout::render,
    session::{Posted, Signed},
};
use crate::{auth::email, error::ApiError, state::AppState, time::LIMA};

/// The page.
pub const PATH: &str = "/consola/mi-correo";
/// Where the code is entered.
pub const CONFIRM_PATH: &str = "/consola/mi-correo/confirmar";

pub async fn page(State(state): State<AppState>, signed: Signed) -> Response {
    show(&state, &signed, StatusCode::OK, None).await
}

async fn show(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let now = match email::status(&state.db, &signed.principal).await {
        Ok(now) => now,
        Err(error) => return error.into_response(),
    };
    let pending = now.pending.as_ref().map(|p| {
        context! {
            email => &p.email,
            expires => p.expires_at.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string(),
            attempts_left => p.attempts_left,
        }
    });
    render(
        status,
        Some(&signed.person()),
        "Mi correo",
        "console_my_email.html",
        context! {
            action => PATH,
            confirm => CONFIRM_PATH,
            csrf => &signed.csrf,
            email => now.email,
            confirmed => now.confirmed,
            pending,
            error,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct NewEmail {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
}

/// Sends a code to the address typed.
pub async fn send(State(state): State<AppState>, posted: Posted<NewEmail>) -> Response {
    let Posted { signed, form } = posted;
    let sent = email::send_code(
        &state,
        &signed.principal,
        &form.email,
        form.current_password,
    );
    after(&state, &signed, sent.await.map(drop)).await
}

#[derive(Debug, Deserialize)]
pub struct Code {
    #[serde(default)]
    code: String,
}

/// Confirms the pending address with its code.
pub async fn confirm(State(state): State<AppState>, posted: Posted<Code>) -> Response {
    let Posted { signed, form } = posted;
    let confirmed = email::confirm(&state.db, &signed.principal, &form.code).await;
    after(&state, &signed, confirmed.map(drop)).await
}

/// Back to the page: as it now stands, or with what was refused.
async fn after(state: &AppState, signed: &Signed, done: crate::error::Result<()>) -> Response {
    match done {
        Ok(()) => Redirect::to(PATH).into_response(),
        Err(ApiError::Client {
            fields: Some(fields),
            ..
        }) => {
            let message = fields.values().next().cloned().unwrap_or_default();
            show(
                state,
                signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&message),
            )
            .await
        }
        Err(ApiError::Client { code, message, .. })
            if code.status() != StatusCode::UNAUTHORIZED =>
        {
            show(state, signed, code.status(), Some(&message)).await
        }
        Err(error) => error.into_response(),
    }
}
