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
        "console_my_email.html",
        include_str!("../templates/console_my_email.html"),
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
        "console_bulk.html",
        include_str!("../templates/console_bulk.html"),
    ),
    (
        "console_my_tickets.html",
        include_str!("../templates/console_my_tickets.html"),
    ),
    (
        "console_new_ticket.html",
        include_str!("../templates/console_new_ticket.html"),
    ),
    (
        "console_my_ticket.html",
        include_str!("../templates/console_my_ticket.html"),
    ),
    (
        "console_articles.html",
        include_str!("../templates/console_articles.html"),
    ),
    (
        "console_article.html",
        include_str!("../templates/console_article.html"),
    ),
    (
        "console_article_form.html",
        include_str!("../templates/console_article_form.html"),
    ),
    (
        "console_reports.html",
        include_str!("../templates/console_reports.html"),
    ),
    (
        "console_canned.html",
        include_str!("../templates/console_canned.html"),
    ),
    (
        "console_pending.html",
        include_str!("../templates/console_pending.html"),
    ),
    ("_pending.html", include_str!("../templates/_pending.html")),
    (
        "console_staff.html",
        include_str!("../templates/console_staff.html"),
    ),
    (
        "_presence.html",
        include_str!("../templates/_presence.html"),
    ),
    (
        "console_certificate_form.html",
        include_str!("../templates/console_certificate_form.html"),
    ),
    (
        "console_teachers.html",
        include_str!("../templates/console_teachers.html"),
    ),
    (
        "console_record.html",
        include_str!("../templates/console_record.html"),
    ),
    (
        "console_provisioning.html",
        include_str!("../templates/console_provisioning.html"),
    ),
    (
        "console_provisioning_form.html",
        include_str!("../templates/console_provisioning_form.html"),
    ),
    (
        "console_provisioning_request.html",
        include_str!("../templates/console_provisioning_request.html"),
    ),
    (
        "console_certificates.html",
        include_str!("../templates/console_certificates.html"),
    ),
    (
        "console_certificate_section.html",
        include_str!("../templates/console_certificate_section.html"),
    ),
    (
        "console_certificate_batch.html",
        include_str!("../templates/console_certificate_batch.html"),
    ),
    (
        "console_certificate_request.html",
        include_str!("../templates/console_certificate_request.html"),
    ),
    (
        "console_certificate.html",
        include_str!("../templates/console_certificate.html"),
    ),
    (
        "console_acta.html",
        include_str!("../templates/console_acta.html"),
    ),
    (
        "console_modifications.html",
        include_str!("../templates/console_modifications.html"),
    ),
    (
        "console_coverage.html",
        include_str!("../templates/console_coverage.html"),
    ),
    (
        "console_today.html",
        include_str!("../templates/console_today.html"),
    ),
    (
        "console_register.html",
        include_str!("../templates/console_register.html"),
    ),
    (
        "_ticket_conversation.html",
        include_str!("../templates/_ticket_conversation.html"),
    ),
    (
        "_canned_fields.html",
        include_str!("../templates/_canned_fields.html"),
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

/// htmx (0BSD licence, `api/assets/htmx-LICENSE`), served by the binary, never from a CDN: it
/// only quickens pages that work without it.
const HTMX: &str = include_str!("../assets/htmx-2.0.11.min.js");

/// The console's own few lines of JavaScript (keyboard shortcuts).
const SCRIPT: &str = include_str!("../assets/siagie.js");

/// Where a static file is served: its name carries a digest of its content, so that browsers
/// may keep it for a year.
fn static_path(stem: &str, extension: &str, content: &str) -> String {
    let digest = Sha256::digest(content.as_bytes());
    let short: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("/estaticos/{stem}-{short}.{extension}")
}

static STYLESHEET_PATH: LazyLock<String> =
    LazyLock::new(|| static_path("siagie", "css", STYLESHEET));
static HTMX_PATH: LazyLock<String> = LazyLock::new(|| static_path("htmx", "js", HTMX));
static SCRIPT_PATH: LazyLock<String> = LazyLock::new(|| static_path("siagie", "js", SCRIPT));

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
    env.add_global("htmx", HTMX_PATH.as_str());
    env.add_global("script", SCRIPT_PATH.as_str());
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

/// The static files' route.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/estaticos/{file}", get(static_file))
}

async fn static_file(Path(file): Path<String>) -> Response {
    let path = format!("/estaticos/{file}");
    let (content_type, body) = if path == *STYLESHEET_PATH {
        ("text/css; charset=utf-8", STYLESHEET)
    } else if path == *HTMX_PATH {
        ("text/javascript; charset=utf-8", HTMX)
    } else if path == *SCRIPT_PATH {
        ("text/javascript; charset=utf-8", SCRIPT)
    } else {
        return crate::error::ApiError::not_found("el archivo").into_response();
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        body,
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
        scripts: false,
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
    /// The page may run the binary's own scripts (the console's pages).
    pub scripts: bool,
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
            scripts => self.scripts,
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
        hardened((self.status, Html(html)).into_response(), self.scripts)
    }
}

/// A part of a page (what htmx swaps in on a page that runs the console's scripts), from a
/// template that extends no layout, with the headers of a page.
pub fn fragment<T: Serialize>(template: &str, part: T) -> Response {
    let html = PAGES
        .get_template(template)
        .and_then(|t| t.render(Value::from_serialize(&part)));
    match html {
        Ok(html) => hardened((StatusCode::OK, Html(html)).into_response(), true),
        Err(error) => {
            tracing::error!(template, error = %error, "a part of a page did not render");
            crate::error::internal_error_response()
        }
    }
}

/// The headers every page carries.
fn hardened(mut response: Response, scripts: bool) -> Response {
    {
        let headers = response.headers_mut();
        // Scripts only from this server, and only on pages that use them; never inline.
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if scripts {
                "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; \
                 img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            } else {
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                 frame-ancestors 'none'; base-uri 'none'"
            }),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
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
