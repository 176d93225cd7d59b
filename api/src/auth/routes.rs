//! HTTP surface of identity: `/auth/*` (the tablet contract) and `/me`.

use std::net::SocketAddr;

use axum::{
    Json,
    extract::{ConnectInfo, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    policy::{Role, Unit},
    principal::{AuthUser, Principal},
    service::{self, Session},
};
use crate::error::ErrorCode;
use crate::{
    error::{ApiError, ErrorBody, Result},
    http::ApiJson,
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(my_email, send_email_code))
        .routes(routes!(confirm_email))
        .routes(routes!(request_password_reset))
        .routes(routes!(confirm_password_reset))
}

/// `POST /auth/password-reset` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetRequest {
    pub username: String,
}

/// `POST /auth/password-reset/confirm` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetConfirm {
    /// The token from the e-mailed link.
    pub token: String,
    pub new_password: String,
}

/// Ask for a password reset link by e-mail, sent only to an address its owner confirmed. The
/// answer is the same whether the account exists, has such an address or not.
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", request_body = ResetRequest,
    responses((status = 202, description = "If the account has an e-mail its owner confirmed, a link was sent")))]
async fn request_password_reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<StatusCode> {
    // The work happens after the answer, so that its time tells nothing about the account.
    if body.username.len() <= 64 {
        crate::time::spawn(async move {
            if let Err(error) = super::reset::request(&state, &body.username).await {
                tracing::error!(error = %error, "a password reset request failed");
            }
        });
    }
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the token of a reset link (single use, expiring).
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirm,
    responses((status = 204), (status = 400, description = "`invalid_reset_token`", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn confirm_password_reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetConfirm>,
) -> Result<StatusCode> {
    super::reset::confirm(&state, &body.token, body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /auth/login` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The tablet's stable id, when logging in from a tablet.
    pub device_id: Option<Uuid>,
}

/// A new pair of tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Lifetime of the access token, in seconds.
    pub expires_in: i64,
    pub token_type: &'static str,
    pub user: MeResponse,
}

/// `POST /auth/refresh` and `POST /auth/logout` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
    /// The tablet's id (an addition to contract v1): a token bound to a tablet is refused from
    /// another one.
    #[serde(default)]
    pub device_id: Option<Uuid>,
}

/// The caller: account, roles and units.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub id: i64,
    pub person_id: i64,
    pub username: String,
    pub must_change_password: bool,
    pub roles: Vec<RoleView>,
    /// Sections the caller teaches.
    pub sections: Vec<i64>,
}

/// One active assignment.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleView {
    pub assignment_id: i64,
    pub role: Role,
    /// Spanish name of the role.
    pub role_name: &'static str,
    /// `minedu`, `dre`, `ugel` or `school`.
    pub unit_type: &'static str,
    pub dre_id: Option<i64>,
    pub ugel_id: Option<i64>,
    pub school_id: Option<i64>,
    pub level: Option<crate::domain::Level>,
}

impl From<&Principal> for MeResponse {
    fn from(p: &Principal) -> Self {
        let roles = p
            .assignments
            .iter()
            .map(|a| {
                let (unit_type, dre_id, ugel_id, school_id) = match a.unit {
                    Unit::Minedu => ("minedu", None, None, None),
                    Unit::Dre { dre_id } => ("dre", Some(dre_id), None, None),
                    Unit::Ugel { ugel_id, dre_id } => ("ugel", Some(dre_id), Some(ugel_id), None),
                    Unit::School {
                        school_id,
                        ugel_id,
                        dre_id,
                    } => ("school", Some(dre_id), Some(ugel_id), Some(school_id)),
                };
                RoleView {
                    assignment_id: a.id,
                    role: a.role,
                    role_name: a.role.label(),
                    unit_type,
                    dre_id,
                    ugel_id,
                    school_id,
                    level: a.level,
                }
            })
            .collect();
        Self {
            id: p.user_id,
            person_id: p.person_id,
            username: p.username.clone(),
            must_change_password: p.must_change_password,
            roles,
            sections: p.taught_sections.clone(),
        }
    }
}

impl From<Session> for TokenResponse {
    fn from(s: Session) -> Self {
        Self {
            access_token: s.access_token,
            refresh_token: s.refresh_token,
            expires_in: s.expires_in,
            token_type: "Bearer",
            user: MeResponse::from(&s.principal),
        }
    }
}

/// Log in with username and password (web or tablet).
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "`invalid_credentials`", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
    ))]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<TokenResponse>> {
    if body.username.trim().is_empty() || body.username.len() > 64 || body.password.len() > 256 {
        return Err(ApiError::from(ErrorCode::InvalidCredentials));
    }
    let session = service::login(
        &state,
        &body.username,
        body.password,
        service::Client::of_device(body.device_id),
        peer.ip(),
    )
    .await?;
    Ok(Json(session.into()))
}

/// Exchange a refresh token for a new pair; the old refresh token stops working.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "`session_revoked`", body = ErrorBody),
    ))]
async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<TokenResponse>> {
    Ok(Json(
        service::refresh(&state, &body.refresh_token, body.device_id)
            .await?
            .into(),
    ))
}

/// Revoke a refresh token (and the session it belongs to).
#[utoipa::path(post, path = "/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "Session closed")))]
async fn logout(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<StatusCode> {
    service::logout(&state.db, &body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's account, roles and units.
#[utoipa::path(get, path = "/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
async fn me(AuthUser(principal): AuthUser) -> Json<MeResponse> {
    Json(MeResponse::from(&principal))
}

/// The caller's e-mail: whether its owner confirmed it (only then do recovery links go there),
/// and any address waiting for its code.
#[utoipa::path(get, path = "/me/email", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = super::email::EmailStatus), (status = 401, body = ErrorBody)))]
async fn my_email(
    State(state): State<AppState>,
    AuthUser(principal): AuthUser,
) -> Result<Json<super::email::EmailStatus>> {
    Ok(Json(super::email::status(&state.db, &principal).await?))
}

/// `POST /me/email` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailCodeRequest {
    /// The address to confirm.
    pub email: String,
    /// The caller's password: a session left open does not change where recovery links go.
    pub current_password: String,
}

/// Send a code to an address of the caller's, to confirm it (it replaces a code sent before).
#[utoipa::path(post, path = "/me/email", tag = "auth", security(("bearer" = [])),
    request_body = EmailCodeRequest,
    responses(
        (status = 202, body = super::email::EmailStatus),
        (status = 422, description = "`validation_failed` (`email`, `current_password`)", body = ErrorBody),
        (status = 429, description = "`code_recently_sent`", body = ErrorBody),
    ))]
async fn send_email_code(
    State(state): State<AppState>,
    AuthUser(principal): AuthUser,
    ApiJson(body): ApiJson<EmailCodeRequest>,
) -> Result<(StatusCode, Json<super::email::EmailStatus>)> {
    let sent =
        super::email::send_code(&state, &principal, &body.email, body.current_password).await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

/// `POST /me/email/confirm` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailCodeConfirm {
    /// The six digits sent to the address.
    pub code: String,
}

/// Confirm the address with the code sent to it: it becomes the caller's e-mail, confirmed.
#[utoipa::path(post, path = "/me/email/confirm", tag = "auth", security(("bearer" = [])),
    request_body = EmailCodeConfirm,
    responses(
        (status = 200, body = super::email::EmailStatus),
        (status = 409, description = "`email_code_expired`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (`code`)", body = ErrorBody),
    ))]
async fn confirm_email(
    State(state): State<AppState>,
    AuthUser(principal): AuthUser,
    ApiJson(body): ApiJson<EmailCodeConfirm>,
) -> Result<Json<super::email::EmailStatus>> {
    Ok(Json(
        super::email::confirm(&state.db, &principal, &body.code).await?,
    ))
}

/// `POST /me/password` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Change the caller's password (required after a reset by the account's manager).
#[utoipa::path(post, path = "/me/password", tag = "auth", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses((status = 204), (status = 422, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    AuthUser(principal): AuthUser,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode> {
    service::change_password(
        &state.db,
        &state.config.auth,
        &principal,
        &principal.family,
        body.current_password,
        body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
