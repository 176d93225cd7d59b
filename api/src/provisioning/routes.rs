//! HTTP surface of altas y bajas: each handler extracts (the multipart form, the file), calls
//! the service of its step (`requests`, `decisions`, `accounts`) and answers.

use axum::{
    Json,
    body::Body,
    extract::{DefaultBodyLimit, Multipart, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    accounts, authority, decisions,
    dto::{Credentials, Decision, NewRequestForm, Rejection, RequestView, StaffAccount},
    files::{self, Upload},
    requests,
};
use crate::error::ErrorCode;
use crate::{
    auth::AuthUser,
    error::{ApiError, ErrorBody, Result},
    http::{ApiJson, ApiPath, ApiQuery, PageParams},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(create_request, list_requests))
        .layer(DefaultBodyLimit::max(files::MAX_FILE_BYTES + 64 * 1024));
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(get_request))
        .routes(routes!(resolution_file))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(create_staff_account))
        .routes(routes!(reset_password))
}

/// File a request (alta or baja). `multipart/form-data` with the fields of `NewRequestForm` and,
/// for DRE, UGEL and director roles, the RD file in the part `resolution`.
#[utoipa::path(post, path = "/provisioning/requests", tag = "provisioning", security(("bearer" = [])),
    request_body(content = NewRequestForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = RequestView),
        (status = 403, description = "`forbidden` or `pronoei_cannot_create_users`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn create_request(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    multipart: Multipart,
) -> Result<(StatusCode, Json<RequestView>)> {
    let (form, upload) = read_form(multipart).await?;
    let created = requests::create(&state, &p, form, upload).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Reads the request's form (`NewRequestForm` and the RD in the part `resolution`); fields it
/// does not know (a page's form token) are left aside.
pub(crate) async fn read_form(
    mut multipart: Multipart,
) -> Result<(NewRequestForm, Option<Upload>)> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::because(
                ErrorCode::PayloadTooLarge,
                "El archivo de la resolución no puede superar 5 MB.",
            )
        } else {
            ApiError::invalid_body("El formulario no se pudo leer (se espera multipart/form-data).")
        }
    };
    let mut form = NewRequestForm::default();
    let mut upload = None;
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "resolution" {
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(bad)?;
            // A browser sends a file input left empty as a part without a name or content.
            if bytes.is_empty() && file_name.as_deref().unwrap_or_default().is_empty() {
                continue;
            }
            upload = Some(Upload::check(file_name.as_deref(), bytes.to_vec())?);
            continue;
        }
        let value = field.text().await.map_err(bad)?;
        if crate::http::extract::has_control(&value) {
            return Err(ApiError::field(
                &name,
                "El texto contiene caracteres de control no permitidos.",
            ));
        }
        let id = |v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::field(&name, "Debe ser un número."))
        };
        match name.as_str() {
            "kind" => form.kind = value,
            "role" => form.role = Some(value),
            "dre_id" => form.dre_id = Some(id(&value)?),
            "ugel_id" => form.ugel_id = Some(id(&value)?),
            "school_id" => form.school_id = Some(id(&value)?),
            "assignment_id" => form.assignment_id = Some(id(&value)?),
            "level" => form.level = Some(value),
            "dni" => form.dni = Some(value),
            "paternal_surname" => form.paternal_surname = Some(value),
            "maternal_surname" => form.maternal_surname = Some(value),
            "given_names" => form.given_names = Some(value),
            "email" => form.email = Some(value),
            "cell_phone" => form.cell_phone = Some(value),
            "resolution_number" => form.resolution_number = Some(value),
            "resolution_date" if !value.trim().is_empty() => {
                form.resolution_date = Some(requests::parse_form_date("resolution_date", &value)?)
            }
            "reason" => form.reason = Some(value),
            _ => {}
        }
    }
    Ok((form, upload))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RequestFilter {
    /// `pending`, `approved` or `rejected`.
    status: Option<String>,
    /// With `per_page`, one page (the whole count in `X-Total-Count`); without, the newest 500.
    page: Option<u64>,
    per_page: Option<u64>,
}

/// Requests the caller filed or decides, newest first.
#[utoipa::path(get, path = "/provisioning/requests", tag = "provisioning", security(("bearer" = [])), params(RequestFilter),
    responses((status = 200, body = Vec<RequestView>)))]
async fn list_requests(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(filter): ApiQuery<RequestFilter>,
) -> Result<(axum::http::HeaderMap, Json<Vec<RequestView>>)> {
    let paging = (filter.page.is_some() || filter.per_page.is_some()).then_some(PageParams {
        page: filter.page,
        per_page: filter.per_page,
    });
    let (total, rows) = requests::list(&state.db, &p, filter.status.as_deref(), paging).await?;
    let mut headers = HeaderMap::new();
    if let Some(total) = total {
        headers.insert("x-total-count", HeaderValue::from(total));
    }
    Ok((headers, Json(rows.into_iter().map(Into::into).collect())))
}

/// One request: its requester sees the outcome and the reason of a rejection.
#[utoipa::path(get, path = "/provisioning/requests/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "provisioning", security(("bearer" = [])),
    responses((status = 200, body = RequestView), (status = 404, body = ErrorBody)))]
async fn get_request(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RequestView>> {
    Ok(Json(
        authority::visible_request(&state.db, &p, id).await?.into(),
    ))
}

/// The uploaded designation resolution (RD).
#[utoipa::path(get, path = "/provisioning/requests/{id}/resolution", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "provisioning", security(("bearer" = [])),
    responses((status = 200, description = "The file", content_type = "application/pdf"), (status = 404, body = ErrorBody)))]
async fn resolution_file(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response> {
    let request = authority::visible_request(&state.db, &p, id).await?;
    let path = request
        .resolution_file
        .ok_or_else(|| ApiError::not_found("el archivo de la resolución"))?;
    let bytes = tokio::fs::read(state.config.storage.data_dir.join(&path))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Response::builder()
        .header(header::CONTENT_TYPE, files::content_type(&path))
        .header(
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"resolucion-{id}.{}\"",
                path.rsplit('.').next().unwrap_or("bin")
            ),
        )
        .body(Body::from(bytes))
        .map_err(|e| ApiError::Internal(e.into()))
}

/// Approve a request (its authority). A new account's credentials are in the answer, once.
#[utoipa::path(post, path = "/provisioning/requests/{id}/approve", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "provisioning", security(("bearer" = [])),
    responses((status = 200, body = Decision), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn approve(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Decision>> {
    let (request, credentials, notice) =
        decisions::approve(&state.db, &state.config.auth, &p, id).await?;
    Ok(Json(Decision {
        request: request.into(),
        credentials,
        notice,
    }))
}

/// Reject a request with a reason (its authority).
#[utoipa::path(post, path = "/provisioning/requests/{id}/reject", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "provisioning", security(("bearer" = [])), request_body = Rejection,
    responses((status = 200, body = RequestView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reject(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Rejection>,
) -> Result<Json<RequestView>> {
    Ok(Json(
        decisions::reject(
            &state.db,
            crate::links::Links::new(&state.config.auth.public_base_url),
            &p,
            id,
            &body.reason,
        )
        .await?
        .into(),
    ))
}

/// Give a role to a person registered as staff of the IE (its director; docs/domain.md §2).
/// Credentials are returned only when a new account is created.
#[utoipa::path(post, path = "/schools/{id}/users", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "provisioning", security(("bearer" = [])), request_body = StaffAccount,
    responses((status = 201, body = Decision), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_staff_account(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StaffAccount>,
) -> Result<(StatusCode, Json<Decision>)> {
    let (request, credentials, notice) =
        decisions::create_staff_account(&state, &p, id, body).await?;
    Ok((
        StatusCode::CREATED,
        Json(Decision {
            request: request.into(),
            credentials,
            notice,
        }),
    ))
}

/// Reset the password of an account without e-mail (whoever manages it): a temporary password,
/// shown once, that must be changed at the next login.
#[utoipa::path(post, path = "/users/{id}/password-reset", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "provisioning", security(("bearer" = [])),
    responses((status = 200, body = Credentials), (status = 404, body = ErrorBody), (status = 409, description = "`use_email_reset`", body = ErrorBody)))]
async fn reset_password(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Credentials>> {
    Ok(Json(accounts::reset_by_manager(&state.db, &p, id).await?))
}
