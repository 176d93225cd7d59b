//! The page a password reset link opens: Spanish HTML with a plain form, no JavaScript.

use axum::{
    Form, Router,
    extract::{Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
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
        Ok(true) => page(StatusCode::OK, &form(&token, None)),
        Ok(false) => page(StatusCode::BAD_REQUEST, EXPIRED),
        Err(error) => error.into_response(),
    }
}

/// Sets the password and says so, or shows the form again with what to correct.
async fn submit(State(state): State<AppState>, Form(sent): Form<Submitted>) -> Response {
    if sent.new_password != sent.confirm_password {
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form(
                &sent.token,
                Some("Las contraseñas no coinciden. Escríbala dos veces igual."),
            ),
        );
    }
    match super::reset::confirm(&state, &sent.token, sent.new_password).await {
        Ok(()) => page(
            StatusCode::OK,
            "<h1>Contraseña actualizada</h1>\
             <p role=\"status\">Su contraseña fue cambiada. Ya puede iniciar sesión en el SIAGIE con ella; \
             las sesiones abiertas en otros equipos se cerraron.</p>",
        ),
        Err(ApiError::Client {
            code: ErrorCode::InvalidResetToken,
            ..
        }) => page(StatusCode::BAD_REQUEST, EXPIRED),
        Err(ApiError::Client {
            fields: Some(fields),
            ..
        }) => {
            let message = fields
                .values()
                .next()
                .cloned()
                .unwrap_or_else(|| "Revise la contraseña.".into());
            page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form(&sent.token, Some(&message)),
            )
        }
        Err(error) => error.into_response(),
    }
}

const EXPIRED: &str = "<h1>Enlace no válido</h1>\
    <p role=\"alert\">El enlace ya se usó o venció. Solicite uno nuevo desde la pantalla de inicio de \
    sesión del SIAGIE («¿Olvidó su contraseña?»).</p>";

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

fn form(token: &str, error: Option<&str>) -> String {
    let error = error
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(m)))
        .unwrap_or_default();
    format!(
        "<h1>Nueva contraseña</h1>\
         <p>Elija una contraseña de 8 a 128 caracteres, con letras y números, que no contenga su \
         nombre de usuario ni sea de las más usadas.</p>\
         {error}\
         <form method=\"post\" action=\"{PATH}\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <label for=\"new_password\">Nueva contraseña</label>\
         <input id=\"new_password\" name=\"new_password\" type=\"password\" autocomplete=\"new-password\" required minlength=\"8\" maxlength=\"128\">\
         <label for=\"confirm_password\">Repita la contraseña</label>\
         <input id=\"confirm_password\" name=\"confirm_password\" type=\"password\" autocomplete=\"new-password\" required minlength=\"8\" maxlength=\"128\">\
         <button type=\"submit\">Guardar contraseña</button>\
         </form>",
        token = escape(token),
    )
}

/// A whole page around its body, with headers that keep the link's token to this page.
fn page(status: StatusCode, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"es-PE\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Restablecer contraseña — SIAGIE</title>\
         <style>body{{font-family:Arial,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}}\
         label{{display:block;margin-top:1rem}}input{{width:100%;padding:.5rem;box-sizing:border-box}}\
         button{{margin-top:1.5rem;padding:.6rem 1.2rem}}.error{{color:#a00}}</style></head>\
         <body><p><strong>SIAGIE</strong> — Ministerio de Educación</p>{body}</body></html>"
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
