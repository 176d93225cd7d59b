//! The page kit: every server-rendered page is a minijinja template of `api/templates/`, embedded
//! in the binary and compiled once into one environment, extending one layout (`base.html`) and
//! escaped by the engine, never by hand. One small stylesheet, served by the binary under a name
//! that changes with its content, so browsers may keep it for a year.

use std::sync::LazyLock;

use axum::{
    Router,
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use minijinja::{AutoEscape, Environment, Output, State, Value};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The templates, by name: the layout first, then the pages and their parts.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    (
        "password_reset.html",
        include_str!("../templates/password_reset.html"),
    ),
    (
        "certificate_verify.html",
        include_str!("../templates/certificate_verify.html"),
    ),
    (
        "certificate_request.html",
        include_str!("../templates/certificate_request.html"),
    ),
    (
        "certificate_download.html",
        include_str!("../templates/certificate_download.html"),
    ),
    (
        "certificate_new_link.html",
        include_str!("../templates/certificate_new_link.html"),
    ),
    (
        "console_login.html",
        include_str!("../templates/console_login.html"),
    ),
    (
        "console_forgot.html",
        include_str!("../templates/console_forgot.html"),
    ),
    (
        "console_password.html",
        include_str!("../templates/console_password.html"),
    ),
    (
        "console_home.html",
        include_str!("../templates/console_home.html"),
    ),
    (
        "console_message.html",
        include_str!("../templates/console_message.html"),
    ),
    (
        "console_queue.html",
        include_str!("../templates/console_queue.html"),
    ),
    (
        "console_ticket.html",
        include_str!("../templates/console_ticket.html"),
    ),
    (
        "_certificate_code_form.html",
        include_str!("../templates/_certificate_code_form.html"),
    ),
    (
        "_certificate_new_link_form.html",
        include_str!("../templates/_certificate_new_link_form.html"),
    ),
    (
        "_certificate_gone.html",
        include_str!("../templates/_certificate_gone.html"),
    ),
];

/// The one stylesheet.
const STYLESHEET: &str = include_str!("../templates/siagie.css");

/// Where the stylesheet is served: its name carries a digest of its content.
static STYLESHEET_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(STYLESHEET.as_bytes());
    let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("/estaticos/siagie-{short}.css")
});

/// The environment every page renders with, built on first use.
static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(escape_formatter);
    for (name, source) in TEMPLATES {
        if let Err(error) = env.add_template(name, source) {
            // The templates are part of the binary: a broken one is a bug caught by any test.
            panic!("template {name}: {error}");
        }
    }
    env.add_global("stylesheet", STYLESHEET_PATH.as_str());
    env
});

/// Escapes `& < > " '` in text written into HTML (the engine's default also escapes `/`, which
/// would turn every date and path in a page into entities for nothing).
fn escape_formatter(
    out: &mut Output,
    state: &State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if state.auto_escape() != AutoEscape::Html || value.is_safe() || value.is_none() {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let mut last = 0;
    for (i, c) in text.char_indices() {
        let entity = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&text[last..i])?;
        out.write_str(entity)?;
        last = i + c.len_utf8();
    }
    out.write_str(&text[last..])?;
    Ok(())
}

/// The stylesheet's route.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/estaticos/{file}", get(stylesheet))
}

async fn stylesheet(Path(file): Path<String>) -> Response {
    if format!("/estaticos/{file}") != *STYLESHEET_PATH {
        return crate::error::ApiError::not_found("la hoja de estilos").into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// The signed-in person the layout's header names, with the form that signs it out.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub name: String,
    /// Where the sign-out form posts.
    pub logout_path: &'static str,
    /// The session's form token, sent with the sign-out form.
    pub csrf: String,
}

/// A page to answer: its status, its title, its template and what the template reads.
pub fn render<T: Serialize>(status: StatusCode, title: &str, template: &str, page: T) -> Response {
    Render {
        status,
        title,
        product: "SIAGIE",
        person: None,
        template,
    }
    .with(page)
}

/// A page with more than [`render`] sets: another product name, or a signed-in person.
pub struct Render<'a> {
    pub status: StatusCode,
    pub title: &'a str,
    pub product: &'a str,
    pub person: Option<&'a Person>,
    pub template: &'a str,
}

impl Render<'_> {
    /// The page, as HTML with the headers every page carries: a strict content security policy
    /// (no script, styles only from this server, forms only to it), no referrer (links carry
    /// tokens), no framing.
    pub fn with<T: Serialize>(self, page: T) -> Response {
        let context = minijinja::context! {
            title => self.title,
            product => self.product,
            person => self.person,
            ..Value::from_serialize(&page)
        };
        let html = PAGES
            .get_template(self.template)
            .and_then(|t| t.render(&context));
        let html = match html {
            Ok(html) => html,
            Err(error) => {
                tracing::error!(template = self.template, error = %error, "a page did not render");
                return crate::error::internal_error_response();
            }
        };
        let mut response = (self.status, Html(html)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                 frame-ancestors 'none'; base-uri 'none'",
            ),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        for (name, _) in TEMPLATES {
            assert!(PAGES.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn text_is_escaped_but_slashes_stay() {
        let mut env = Environment::new();
        env.set_formatter(escape_formatter);
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.add_template("t.html", "{{ x }}").unwrap();
        let out = env
            .get_template("t.html")
            .unwrap()
            .render(minijinja::context! { x => "<a href='x'>16/06 & \"y\"</a>" })
            .unwrap();
        assert_eq!(
            out,
            "&lt;a href=&#39;x&#39;&gt;16/06 &amp; &quot;y&quot;&lt;/a&gt;"
        );
    }
}
