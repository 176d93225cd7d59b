//! HTTP surface of altas y bajas.

use axum::{
    Json,
    body::Body,
    extract::{DefaultBodyLimit, Multipart, State},
    http::{StatusCode, header},
    response::Response,
};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use entity::{provisioning_request, school};

use super::{
    dto::{Credentials, Decision, NewRequestForm, Rejection, RequestView, StaffAccount},
    files::{self, Upload},
    service,
};
use crate::error::ErrorCode;
use crate::{
    auth::{AuthUser, Principal, Role, policy::Unit},
    error::{ApiError, ErrorBody, Result},
    http::{ApiJson, ApiPath, ApiQuery},
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
    let created = service::create(&state, &p, form, upload).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

async fn read_form(mut multipart: Multipart) -> Result<(NewRequestForm, Option<Upload>)> {
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
                form.resolution_date = Some(service::parse_form_date("resolution_date", &value)?)
            }
            "reason" => form.reason = Some(value),
            _ => {}
        }
    }
    Ok((form, upload))
}

#[derive(Debug, Deserialize, IntoParams)]
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
    let mut query = provisioning_request::Entity::find().filter(visible_to(&p));
    if let Some(status) = filter.status {
        if !["pending", "approved", "rejected"].contains(&status.as_str()) {
            return Err(ApiError::field(
                "status",
                "El estado debe ser pending, approved o rejected.",
            ));
        }
        query = query.filter(provisioning_request::Column::Status.eq(status));
    }
    let query = query.order_by_desc(provisioning_request::Column::Id);
    let mut headers = axum::http::HeaderMap::new();
    let rows = if filter.page.is_some() || filter.per_page.is_some() {
        use sea_orm::PaginatorTrait;
        let (page, per_page) = crate::http::PageParams {
            page: filter.page,
            per_page: filter.per_page,
        }
        .resolve()?;
        let paginator = query.paginate(&state.db, per_page);
        headers.insert(
            "x-total-count",
            axum::http::HeaderValue::from(paginator.num_items().await?),
        );
        paginator.fetch_page(page - 1).await?
    } else {
        query.limit(500).all(&state.db).await?
    };
    Ok((headers, Json(rows.into_iter().map(Into::into).collect())))
}

/// The requests a caller filed, plus those it decides.
fn visible_to(p: &Principal) -> Condition {
    let mut any = Condition::any().add(provisioning_request::Column::RequestedBy.eq(p.user_id));
    let staff: Vec<&str> = Role::ALL
        .iter()
        .filter(|r| r.unit_kind() == crate::auth::policy::UnitKind::School && **r != Role::Director)
        .map(|r| r.code())
        .collect();
    for a in &p.assignments {
        match (a.role, a.unit) {
            (Role::MineduAdmin, _) => {
                any = any.add(provisioning_request::Column::SchoolId.is_null());
            }
            (Role::UgelSpecialist, Unit::Ugel { ugel_id, .. }) => {
                any = any.add(
                    Condition::all()
                        .add(provisioning_request::Column::Role.eq(Role::Director.code()))
                        .add(
                            provisioning_request::Column::SchoolId.in_subquery(
                                sea_orm::sea_query::Query::select()
                                    .column(school::Column::Id)
                                    .from(school::Entity)
                                    .and_where(school::Column::UgelId.eq(ugel_id))
                                    .to_owned(),
                            ),
                        ),
                );
            }
            (Role::Director, Unit::School { school_id, .. }) => {
                any = any.add(
                    Condition::all()
                        .add(provisioning_request::Column::Role.is_in(staff.clone()))
                        .add(provisioning_request::Column::SchoolId.eq(school_id)),
                );
            }
            _ => {}
        }
    }
    any
}

async fn visible_request(
    state: &AppState,
    p: &Principal,
    id: i64,
) -> Result<provisioning_request::Model> {
    let request = provisioning_request::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("la solicitud"))?;
    if request.requested_by == p.user_id || service::is_authority(&state.db, p, &request).await? {
        Ok(request)
    } else {
        Err(ApiError::not_found("la solicitud"))
    }
}

/// One request: its requester sees the outcome and the reason of a rejection.
#[utoipa::path(get, path = "/provisioning/requests/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "provisioning", security(("bearer" = [])),
    responses((status = 200, body = RequestView), (status = 404, body = ErrorBody)))]
async fn get_request(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RequestView>> {
    Ok(Json(visible_request(&state, &p, id).await?.into()))
}

/// The uploaded designation resolution (RD).
#[utoipa::path(get, path = "/provisioning/requests/{id}/resolution", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "provisioning", security(("bearer" = [])),
    responses((status = 200, description = "The file", content_type = "application/pdf"), (status = 404, body = ErrorBody)))]
async fn resolution_file(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response> {
    let request = visible_request(&state, &p, id).await?;
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
        service::approve(&state.db, &state.config.auth, &p, id).await?;
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
        service::reject(&state.db, &p, id, &body.reason)
            .await?
            .into(),
    ))
}

/// Give a role to a person registered as staff of the IE (its director; seed 004). Credentials
/// are returned only when a new account is created.
#[utoipa::path(post, path = "/schools/{id}/users", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "provisioning", security(("bearer" = [])), request_body = StaffAccount,
    responses((status = 201, body = Decision), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_staff_account(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StaffAccount>,
) -> Result<(StatusCode, Json<Decision>)> {
    let person = entity::person::Entity::find_by_id(body.person_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::field("person_id", "La persona no existe."))?;
    let role = Role::parse(&body.role)
        .filter(|r| r.unit_kind() == crate::auth::policy::UnitKind::School && *r != Role::Director)
        .ok_or_else(|| ApiError::field("role", "El cargo debe ser uno del personal de la IE."))?;
    let form = NewRequestForm {
        kind: "alta".into(),
        role: Some(role.code().into()),
        school_id: Some(id),
        dni: Some(person.dni.clone()),
        paternal_surname: Some(person.paternal_surname.clone()),
        maternal_surname: Some(person.maternal_surname.clone()),
        given_names: Some(person.given_names.clone()),
        ..Default::default()
    };
    let request = service::create(&state, &p, form, None).await?;
    let (request, credentials, notice) =
        service::approve(&state.db, &state.config.auth, &p, request.id).await?;
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
    Ok(Json(service::reset_by_manager(&state.db, &p, id).await?))
}
