//! The console's session: a cookie holding the opaque token of a login opened by the same
//! service as the API's (`auth::service::login`), so that the login's family is the session.
//! Logout, a detected reuse, a password change or reset, a baja and a revoked session end it
//! at once, as they end the API's tokens. Every form carries the session's own token, derived
//! from the cookie, and every POST is refused without it.

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::de::DeserializeOwned;

use entity::{person, refresh_token};

use crate::{
    auth::{
        principal::{Principal, load_principal},
        tokens::hash_token,
    },
    page::Person,
    state::AppState,
    time::now,
};

use super::layout::{LOGIN_PATH, LOGOUT_PATH, PASSWORD_PATH, message_page};

/// The session cookie's name.
pub const COOKIE: &str = "siagie_consola";
/// The cookie that carries the sign-in form's token before there is a session.
pub const LOGIN_COOKIE: &str = "siagie_ingreso";

/// A signed-in person of the console.
pub struct Signed {
    pub principal: Principal,
    /// The session's form token.
    pub csrf: String,
    /// The login's token, as the cookie holds it.
    pub token: String,
    /// The name the header shows.
    pub name: String,
}

impl Signed {
    /// The header's person, with the sign-out form.
    pub fn person(&self) -> Person {
        Person {
            name: self.name.clone(),
            logout_path: LOGOUT_PATH,
            csrf: self.csrf.clone(),
        }
    }
}

/// The form token of a session (or of a sign-in form): derived from its secret, never stored.
pub fn csrf_of(token: &str) -> String {
    hash_token(&format!("siagie-console-form:{token}"))
}

/// Whether two tokens are equal, comparing every byte.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie's value from the request's headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty() && value.len() <= 128)
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, bound to the console's paths, `Secure` when
/// the product is served over https. An empty value with `expire` deletes it.
pub fn set_cookie(state: &AppState, name: &str, value: &str, expire: bool) -> HeaderValue {
    let secure = if state.config.auth.public_base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let age = if expire { "; Max-Age=0" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/consola; HttpOnly; SameSite=Lax{secure}{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("siagie_consola=; Path=/consola; Max-Age=0"))
}

/// The open login a session token belongs to, and its owner; `None` once it ended.
async fn open_login(state: &AppState, token: &str) -> Result<Option<(i64, String)>, Response> {
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(token)))
        .one(&state.db)
        .await
        .map_err(|e| crate::error::ApiError::from(e).into_response())?;
    let at: chrono::DateTime<Utc> = now();
    Ok(row
        .filter(|r| r.revoked_at.is_none() && r.used_at.is_none() && r.expires_at > at)
        // Only a login the console opened: an API or tablet token is no session cookie.
        .filter(|r| r.device_id.as_deref() == Some(crate::auth::service::CONSOLE))
        .map(|r| (r.user_id, r.family_id)))
}

/// The name a person is shown by: given names and paternal surname, or the username.
async fn display_name(state: &AppState, principal: &Principal) -> String {
    let found = person::Entity::find_by_id(principal.person_id)
        .one(&state.db)
        .await
        .ok()
        .flatten();
    match found {
        Some(p) => format!("{} {}", p.given_names, p.paternal_surname),
        None => principal.username.clone(),
    }
}

/// The way to the sign-in page, which comes back to `back` (a console page) once signed in.
fn to_login(back: Option<&str>) -> Response {
    match back {
        Some(back) => Redirect::to(&format!(
            "{LOGIN_PATH}?{}",
            serde_urlencoded::to_string([("siguiente", back)]).unwrap_or_default()
        ))
        .into_response(),
        None => Redirect::to(LOGIN_PATH).into_response(),
    }
}

/// A page to come back to after signing in: a console page of this server, never another site.
pub fn safe_back(back: &str) -> Option<&str> {
    (back.starts_with("/consola/")
        && back.len() <= 512
        // Printable ASCII only (a page's address as the browser sent it): no line break, no
        // space, nothing a header cannot carry; no way up out of the console.
        && back.bytes().all(|b| b.is_ascii_graphic())
        && !back.contains("..")
        && !back.contains("//")
        && !back.contains('\\')
        && !back.starts_with(LOGIN_PATH)
        && !back.starts_with(LOGOUT_PATH))
    .then_some(back)
}

/// The signed-in person of a request's cookie, for a page at `path`: without an open session,
/// the way to the sign-in page (which comes back to `back`); with a temporary password, the way
/// to the password page.
pub async fn resolve(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    back: Option<&str>,
) -> Result<Signed, Response> {
    let Some(token) = cookie(headers, COOKIE).map(str::to_owned) else {
        return Err(to_login(back));
    };
    let Some((user_id, family)) = open_login(state, &token).await? else {
        return Err(to_login(back));
    };
    let mut principal = match load_principal(&state.db, user_id).await {
        Ok(principal) => principal,
        Err(crate::error::ApiError::Client { .. }) => return Err(to_login(back)),
        Err(error) => return Err(error.into_response()),
    };
    principal.family = family;
    if principal.must_change_password && path != PASSWORD_PATH && path != LOGOUT_PATH {
        return Err(Redirect::to(PASSWORD_PATH).into_response());
    }
    let name = display_name(state, &principal).await;
    Ok(Signed {
        csrf: csrf_of(&token),
        token,
        principal,
        name,
    })
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        // A page opened from a link (an e-mail's) is opened again once signed in.
        let back = (parts.method == axum::http::Method::GET)
            .then(|| parts.uri.path_and_query().map(|p| p.as_str()))
            .flatten()
            .and_then(safe_back);
        resolve(state, &parts.headers, parts.uri.path(), back).await
    }
}

/// A console form posted by a signed-in person with the session's form token; 403 without it,
/// before anything is read or written.
pub struct Posted<T> {
    pub signed: Signed,
    pub form: T,
}

#[derive(serde::Deserialize)]
struct FormToken {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Posted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let signed = Signed::from_request_parts(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| bad_form())?;
        let sent: FormToken = serde_urlencoded::from_bytes(&bytes).map_err(|_| bad_form())?;
        if !same(&sent.csrf, &signed.csrf) {
            return Err(forbidden(Some(&signed)));
        }
        if crate::http::extract::form_has_control(&bytes) {
            return Err(message_page(
                StatusCode::BAD_REQUEST,
                Some(&signed.person()),
                "Solicitud no válida",
                "El texto enviado contiene caracteres de control no permitidos. Vuelva a la página, revíselo e inténtelo de nuevo.",
            ));
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|_| bad_form())?;
        Ok(Self { signed, form })
    }
}

/// 403: a form without its session's token (an old page, or another site's form).
pub fn forbidden(signed: Option<&Signed>) -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        signed.map(Signed::person).as_ref(),
        "Formulario no válido",
        "El formulario venció o no proviene del SIAGIE. Vuelva a la página, recárguela e inténtelo de nuevo.",
    )
}

/// 400: a form that cannot be read.
pub fn bad_form() -> Response {
    message_page(
        StatusCode::BAD_REQUEST,
        None,
        "Solicitud no válida",
        "No se pudo leer el formulario enviado. Vuelva a la página e inténtelo de nuevo.",
    )
}

#[cfg(test)]
mod tests {
    use super::safe_back;

    #[test]
    fn only_a_page_of_the_console_is_a_way_back() {
        assert_eq!(
            safe_back("/consola/pendientes"),
            Some("/consola/pendientes")
        );
        assert_eq!(
            safe_back("/consola/registros/1/2027/5?hecho=celdas"),
            Some("/consola/registros/1/2027/5?hecho=celdas")
        );
        for bad in [
            "//evil.example",
            "/consola//evil.example",
            "/consola/\\evil.example",
            "https://evil.example/consola/",
            "/consola/\r\nX: y",
            "/consola/a\u{0}",
            "/consola/../api/v1/me",
            "/consola/ingresar",
            "/consola/salir",
            "/api/v1/me",
        ] {
            assert_eq!(safe_back(bad), None, "{bad:?}");
        }
    }
}
