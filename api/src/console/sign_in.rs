//! Signing in and out of the console, and replacing a temporary password: the same services as
//! the API's `/auth/login`, `/auth/logout` and `/me/password`, with their limits.

use std::net::SocketAddr;

use axum::{
    Form,
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use minijinja::context;
use serde::Deserialize;

use super::{
    layout::{HOME_PATH, LOGIN_PATH, PASSWORD_PATH, render},
    session::{self, COOKIE, LOGIN_COOKIE, Posted, Signed, csrf_of, same, set_cookie},
};
use crate::{
    auth::{service, tokens::random_token},
    error::{ApiError, ErrorCode},
    state::AppState,
};

/// Where "¿Olvidó su contraseña?" leads: the API's reset request, from a plain form.
pub const FORGOT_PATH: &str = "/consola/olvido";

/// The console's home: who is signed in and what it may open; for a director, its
/// "Pendientes".
pub async fn home(State(state): State<AppState>, signed: Signed) -> Response {
    let (schools, sections) = match tokio::try_join!(
        super::pending::lines(&state, &signed),
        super::today::sections(&state, &signed)
    ) {
        Ok(found) => found,
        Err(error) => return error.into_response(),
    };
    let roles: Vec<&str> = signed
        .principal
        .assignments
        .iter()
        .map(|a| a.role.label())
        .collect();
    let files_requests =
        match super::provisioning::files_requests(&state.db, &signed.principal).await {
            Ok(files) => files,
            Err(error) => return error.into_response(),
        };
    let render = if schools.is_some() {
        super::layout::render_wide
    } else {
        render
    };
    render(
        StatusCode::OK,
        Some(&signed.person()),
        "Inicio",
        "console_home.html",
        context! {
            name => &signed.name,
            roles,
            helpdesk => crate::helpdesk::access::is_staff(&signed.principal).then_some(super::layout::QUEUE_PATH),
            stale_days => state.config.jobs.stale_tablet_days,
            coverage => oversees(&signed.principal).then_some(crate::links::COVERAGE_PATH),
            provisioning => files_requests.then_some(crate::links::PROVISIONING_PATH),
            staff => signed.principal.assignments.iter().any(|a| a.role == crate::auth::policy::Role::Director).then_some(crate::links::STAFF_PAGE_PATH),
            record => reads_records(&signed.principal).then_some(crate::links::RECORD_PATH),
            certificates => issues_certificates(&signed.principal).then_some(crate::links::CERTIFICATES_PATH),
            modifications => takes_part_in_modifications(&signed.principal).then_some(crate::links::MODIFICATIONS_PATH),
            schools,
            sections,
        },
    )
}

/// Whether a person oversees the IEs of a UGEL or a DRE (whose registers' coverage it reads).
fn oversees(p: &crate::auth::principal::Principal) -> bool {
    use crate::auth::policy::Unit;
    p.assignments.iter().any(|a| {
        matches!(a.unit, Unit::Ugel { .. } | Unit::Dre { .. })
            || (matches!(a.unit, Unit::Minedu)
                && a.role != crate::auth::policy::Role::HelpdeskAgent)
    })
}

/// Whether a person may issue an IE's certificates: its director, or the staff the director
/// authorises (the service decides; the home only offers the page).
fn issues_certificates(p: &crate::auth::principal::Principal) -> bool {
    use crate::auth::policy::{Role, Unit};
    p.assignments.iter().any(|a| {
        matches!(a.unit, Unit::School { .. })
            && matches!(
                a.role,
                Role::Director | Role::DeputyDirector | Role::Secretary | Role::Administrative
            )
    })
}

/// Whether a person reads students' records (an IE's director, the specialists over IEs).
fn reads_records(p: &crate::auth::principal::Principal) -> bool {
    use crate::auth::policy::{Action, grants};
    p.assignments
        .iter()
        .any(|a| grants(a.role, Action::ReadRecord))
}

/// Whether a person asks for, reviews or enables exceptional modifications.
fn takes_part_in_modifications(p: &crate::auth::principal::Principal) -> bool {
    use crate::auth::policy::{Action, grants};
    p.assignments.iter().any(|a| {
        [
            Action::CloseRegister,
            Action::OpineModification,
            Action::EnableModification,
        ]
        .into_iter()
        .any(|action| grants(a.role, action))
    })
}

/// Where the sign-in form goes back to (`?siguiente=`): a console page.
#[derive(Debug, Default, Deserialize)]
pub struct Back {
    #[serde(default)]
    siguiente: String,
}

impl Back {
    /// The page to open once signed in: the one asked for, if it is the console's, or the home.
    fn page(&self) -> &str {
        session::safe_back(&self.siguiente).unwrap_or(HOME_PATH)
    }
}

/// The sign-in form; a person already signed in goes where it was going (or to the home).
pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(back): axum::extract::Query<Back>,
) -> Response {
    if session::resolve(&state, &headers, LOGIN_PATH, None)
        .await
        .is_ok()
    {
        return Redirect::to(back.page()).into_response();
    }
    login_page(&state, StatusCode::OK, "", None, back.page())
}

/// The form, with a fresh form token held in a cookie until the sign-in.
fn login_page(
    state: &AppState,
    status: StatusCode,
    username: &str,
    error: Option<&str>,
    back: &str,
) -> Response {
    let pre = random_token(32);
    let mut response = render(
        status,
        None,
        "Iniciar sesión",
        "console_login.html",
        context! {
            action => LOGIN_PATH,
            forgot => FORGOT_PATH,
            csrf => csrf_of(&pre),
            username,
            error,
            back => (back != HOME_PATH).then_some(back),
        },
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_COOKIE, &pre, false),
    );
    response
}

#[derive(Debug, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    siguiente: String,
}

/// Signs in with the API's login (its failed-login limits and lockout included), then sets the
/// session cookie and goes to the home (or to the password page, for a temporary password).
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(sent): Form<Credentials>,
) -> Response {
    let pre = session::cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if pre.is_empty() || !same(&sent.csrf, &csrf_of(pre)) {
        return session::forbidden(None);
    }
    let back = session::safe_back(&sent.siguiente).unwrap_or(HOME_PATH);
    let username = sent.username.trim();
    if username.is_empty() || username.len() > 64 || sent.password.len() > 256 {
        return login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            username,
            Some(ErrorCode::InvalidCredentials.message()),
            back,
        );
    }
    let client = service::Client::Console;
    match service::login(&state, username, sent.password, client, peer.ip()).await {
        Ok(session) => {
            let next = if session.principal.must_change_password {
                PASSWORD_PATH
            } else {
                back
            };
            let mut response = Redirect::to(next).into_response();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                set_cookie(&state, COOKIE, &session.refresh_token, false),
            );
            headers.append(
                header::SET_COOKIE,
                set_cookie(&state, LOGIN_COOKIE, "", true),
            );
            response
        }
        Err(error) => {
            let (status, message, retry) = match &error {
                ApiError::Client {
                    message,
                    retry_after,
                    ..
                } => (error.status(), message.to_string(), *retry_after),
                ApiError::Internal(_) => return error.into_response(),
            };
            let mut response = login_page(&state, status, username, Some(&message), back);
            if let Some(seconds) = retry
                && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Nothing {}

/// Ends the session's login (as the API's logout does) and forgets the cookie.
pub async fn logout(State(state): State<AppState>, posted: Posted<Nothing>) -> Response {
    if let Err(error) = service::logout(&state.db, &posted.signed.token).await {
        return error.into_response();
    }
    let mut response = Redirect::to(LOGIN_PATH).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, COOKIE, "", true));
    response
}

/// The form to replace the password.
pub async fn password_form(signed: Signed) -> Response {
    password_page(StatusCode::OK, &signed, None)
}

fn password_page(status: StatusCode, signed: &Signed, error: Option<&str>) -> Response {
    render(
        status,
        Some(&signed.person()),
        "Cambiar contraseña",
        "console_password.html",
        context! {
            action => PASSWORD_PATH,
            csrf => &signed.csrf,
            required => signed.principal.must_change_password,
            error,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct NewPassword {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// Changes the password with the API's service (other sessions end; this one stays).
pub async fn password_submit(
    State(state): State<AppState>,
    posted: Posted<NewPassword>,
) -> Response {
    let Posted { signed, form } = posted;
    if form.new_password != form.confirm_password {
        return password_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &signed,
            Some("Las contraseñas no coinciden. Escríbala dos veces igual."),
        );
    }
    match service::change_password(
        &state.db,
        &state.config.auth,
        &signed.principal,
        &signed.principal.family,
        form.current_password,
        form.new_password,
    )
    .await
    {
        Ok(()) => Redirect::to(HOME_PATH).into_response(),
        Err(ApiError::Client {
            fields: Some(fields),
            ..
        }) => {
            let message = fields
                .values()
                .next()
                .cloned()
                .unwrap_or_else(|| "Revise la contraseña.".into());
            password_page(StatusCode::UNPROCESSABLE_ENTITY, &signed, Some(&message))
        }
        Err(error) => error.into_response(),
    }
}

/// The form to ask for a reset link by username.
pub async fn forgot_form(State(state): State<AppState>) -> Response {
    forgot_page(&state, false)
}

fn forgot_page(state: &AppState, sent: bool) -> Response {
    let pre = random_token(32);
    let mut response = render(
        StatusCode::OK,
        None,
        "¿Olvidó su contraseña?",
        "console_forgot.html",
        context! { action => FORGOT_PATH, login => LOGIN_PATH, csrf => csrf_of(&pre), sent },
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_COOKIE, &pre, false),
    );
    response
}

#[derive(Debug, Deserialize)]
pub struct Forgot {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
}

/// Asks for a reset link as the API's `/auth/password-reset` does: the same answer whether the
/// account exists or not, the work done after it.
pub async fn forgot_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(sent): Form<Forgot>,
) -> Response {
    let pre = session::cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if pre.is_empty() || !same(&sent.csrf, &csrf_of(pre)) {
        return session::forbidden(None);
    }
    if !sent.username.trim().is_empty() && sent.username.len() <= 64 {
        let worker = state.clone();
        crate::time::spawn(async move {
            if let Err(error) = crate::auth::reset::request(&worker, &sent.username).await {
                tracing::error!(error = %error, "a password reset request failed");
            }
        });
    }
    forgot_page(&state, true)
}
