//! What every console page shares: its paths and its layout (the page kit's, with the signed-in
//! person in the header).

use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use minijinja::context;

use crate::page::{Person, Render};

/// The console's home.
pub const HOME_PATH: &str = "/consola";
/// The sign-in page.
pub const LOGIN_PATH: &str = "/consola/ingresar";
/// The help desk's queue.
pub const QUEUE_PATH: &str = crate::helpdesk::links::STAFF_PATH;
/// Where the sign-out form posts.
pub const LOGOUT_PATH: &str = "/consola/salir";
/// The page where a temporary password is replaced.
pub const PASSWORD_PATH: &str = "/consola/contrasena";

/// A console page in the one layout, with the signed-in person in its header.
pub fn render(
    status: StatusCode,
    person: Option<&Person>,
    title: &str,
    template: &str,
    page: minijinja::Value,
) -> Response {
    Render {
        status,
        title,
        product: "SIAGIE — Consola",
        person,
        template,
        // The signed-in pages may be quickened; the sign-in pages run no script at all.
        scripts: person.is_some(),
    }
    .with(page)
}

/// A page that only says something: a refusal, an error.
pub fn message_page(
    status: StatusCode,
    person: Option<&Person>,
    title: &str,
    text: &str,
) -> Response {
    render(
        status,
        person,
        title,
        "console_message.html",
        context! { heading => title, text, home => HOME_PATH },
    )
}

/// A console page wider than a form: a table.
pub fn render_wide(
    status: StatusCode,
    person: Option<&Person>,
    title: &str,
    template: &str,
    page: minijinja::Value,
) -> Response {
    render(
        status,
        person,
        title,
        template,
        context! { wide => true, ..page },
    )
}

/// A PDF that opens in the browser (to print, sign and seal, or save), named `name`.pdf.
pub fn pdf(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}.pdf\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A page's query, read into `T`: a parameter the page does not take is left aside, and one it
/// cannot read answers a page that says so (400), never the API's JSON.
pub struct PageQuery<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for PageQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Response> {
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map(PageQuery)
            .map_err(|_| {
                message_page(
                    StatusCode::BAD_REQUEST,
                    None,
                    "Dirección no válida",
                    "La dirección de la página lleva datos que no se entienden. Ábrala de nuevo desde el menú de la consola.",
                )
            })
    }
}
