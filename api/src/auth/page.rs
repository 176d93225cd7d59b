//! The page a password reset link opens: Spanish HTML with a plain form, no JavaScript.

use axum::{
    Form, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use minijinja::context;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use entity::password_reset_token;

use super::tokens::hash_token;
use crate::error::ErrorCode;
use crate::{error::ApiError, state::AppState, time::now};

/// The page's path, the one the e-mailed link names.
pub const PATH: &str = "/restablecer-contrasena";

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(show).post(submit))
}

#[derive(Debug, Deserialize)]
struct Link {
    token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Submitted {
    token: String,
    new_password: String,
    confirm_password: String,
}

/// The form, or why the link no longer works.
async fn show(State(state): State<AppState>, Query(link): Query<Link>) -> Response {
    let token = link.token.unwrap_or_default();
    match usable(&state, &token).await {
        Ok(true) => form(StatusCode::OK, &token, None),
        Ok(false) => expired(),
        Err(error) => error.into_response(),
    }
}

/// Sets the password and says so, or shows the form again with what to correct.
async fn submit(State(state): State<AppState>, Form(sent): Form<Submitted>) -> Response {
    if sent.new_password != sent.confirm_password {
        return form(
            StatusCode::UNPROCESSABLE_ENTITY,
            &sent.token,
            Some("Las contraseñas no coinciden. Escríbala dos veces igual."),
        );
    }
    match super::reset::confirm(&state, &sent.token, sent.new_password).await {
        Ok(()) => view(StatusCode::OK, "done", context! {}),
        Err(ApiError::Client {
            code: ErrorCode::InvalidResetToken,
            ..
        }) => expired(),
        Err(ApiError::Client {
            fields: Some(fields),
            ..
        }) => {
            let message = fields
                .values()
                .next()
                .cloned()
                .unwrap_or_else(|| "Revise la contraseña.".into());
            form(
                StatusCode::UNPROCESSABLE_ENTITY,
                &sent.token,
                Some(&message),
            )
        }
        Err(error) => error.into_response(),
    }
}

/// Whether a link's token can still be used.
async fn usable(state: &AppState, token: &str) -> Result<bool, ApiError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(false);
    }
    let row = password_reset_token::Entity::find()
        .filter(password_reset_token::Column::TokenHash.eq(hash_token(token)))
        .one(&state.db)
        .await?;
    Ok(row.is_some_and(|r| r.used_at.is_none() && r.expires_at > now()))
}

fn form(status: StatusCode, token: &str, error: Option<&str>) -> Response {
    view(
        status,
        "form",
        context! { path => PATH, token => token, error => error },
    )
}

fn expired() -> Response {
    view(StatusCode::BAD_REQUEST, "expired", context! {})
}

fn view(status: StatusCode, view: &str, page: minijinja::Value) -> Response {
    crate::page::render(
        status,
        "Restablecer contraseña",
        "password_reset.html",
        context! { view => view, ..page },
    )
}
