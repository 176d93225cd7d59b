//! HTTP surface of Mi Certificado: requests, issuance, lists, annulment and correction, the
//! IE's configuration, and the public JSON endpoints (verification, public requests).

use std::net::SocketAddr;

use axum::{
    Json,
    extract::{ConnectInfo, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    answer::pdf_response,
    batch::{self, Batch, BatchResult, SectionRow},
    issue::{self, IssuedView},
    lists::{self, IssuedLine, RequestLine, Search},
    public::{self, LinkSent, PublicRequest},
    requests::{self, NewRequest, Reason, RequestView, SavedYears},
    revocation::{self, Annulment, Correction},
    settings::{self, Grant, Issuer, Settings},
    verify::{self, Verification},
};
use crate::{
    auth::AuthUser,
    error::{ApiError, ErrorBody, Result},
    http::{ApiJson, ApiPath, ApiQuery, Page},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_request, list_requests))
        .routes(routes!(read_request))
        .routes(routes!(save_years))
        .routes(routes!(preview))
        .routes(routes!(issue_request))
        .routes(routes!(reject_request))
        .routes(routes!(resend_link))
        .routes(routes!(list_issued))
        .routes(routes!(section_status))
        .routes(routes!(issue_batch))
        .routes(routes!(batch_pdf))
        .routes(routes!(read_certificate))
        .routes(routes!(certificate_pdf))
        .routes(routes!(annul))
        .routes(routes!(correct))
        .routes(routes!(verify_json))
        .routes(routes!(public_request))
        .routes(routes!(read_settings, write_settings))
        .routes(routes!(list_issuers, grant_issuer))
        .routes(routes!(revoke_issuer))
}

/// Save a certificate request of the IE (direct issuance), with typed-in years.
#[utoipa::path(post, path = "/certificate-requests", tag = "certificates", security(("bearer" = [])), request_body = NewRequest,
    responses((status = 201, body = RequestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, description = "`certificate_student_not_found`, `grade_out_of_scale`, `validation_failed`", body = ErrorBody)))]
async fn create_request(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<NewRequest>,
) -> Result<(StatusCode, Json<RequestView>)> {
    let view = requests::create(&state.db, &p, body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The IE's requests (pending by default, or issued or rejected), searchable.
#[utoipa::path(get, path = "/certificate-requests", tag = "certificates", security(("bearer" = [])), params(Search),
    responses((status = 200, body = Page<RequestLine>), (status = 403, body = ErrorBody)))]
async fn list_requests(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(search): ApiQuery<Search>,
) -> Result<Json<Page<RequestLine>>> {
    Ok(Json(lists::requests(&state.db, &p, search).await?))
}

/// A request with its years, its state and what it lacks.
#[utoipa::path(get, path = "/certificate-requests/{id}", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso")),
    responses((status = 200, body = RequestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn read_request(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RequestView>> {
    Ok(Json(requests::read(&state.db, &p, id).await?))
}

/// Replace the typed-in years and observations of a pending request.
#[utoipa::path(put, path = "/certificate-requests/{id}/years", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso")), request_body = SavedYears,
    responses((status = 200, body = RequestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn save_years(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SavedYears>,
) -> Result<Json<RequestView>> {
    Ok(Json(requests::save_years(&state.db, &p, id, body).await?))
}

/// The certificate as it would be issued, marked "VISTA PREVIA – SIN VALOR OFICIAL" (no QR,
/// nothing stored).
#[utoipa::path(get, path = "/certificate-requests/{id}/preview", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso")),
    responses((status = 200, description = "PDF", content_type = "application/pdf"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn preview(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response> {
    let bytes = issue::preview(&state.db, &state.certificates, &p, id).await?;
    pdf_response(&format!("vista-previa-{id}"), bytes)
}

/// Issue the certificate of a pending request.
#[utoipa::path(post, path = "/certificate-requests/{id}/issue", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso"), ("Idempotency-Key" = Option<String>, Header, description = "Clave de 8 a 255 caracteres visibles: reenviada con la misma solicitud, responde lo que respondió la primera sin repetir la operación.")),
    responses((status = 201, body = IssuedView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, description = "`too_few_areas`, `certificate_without_years`", body = ErrorBody)))]
async fn issue_request(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<IssuedView>)> {
    let view = issue::issue(&state.db, &state.certificates, &p, id).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Reject a pending request with a reason.
#[utoipa::path(post, path = "/certificate-requests/{id}/reject", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso")), request_body = Reason,
    responses((status = 200, body = RequestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reject_request(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<RequestView>> {
    Ok(Json(requests::reject(&state.db, &p, id, body).await?))
}

/// Send the requester of an issued public request a new single-use download link (the one
/// before stops working), to the e-mail on the request.
#[utoipa::path(post, path = "/certificate-requests/{id}/resend-link", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso")),
    responses((status = 200, body = LinkSent), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "`no_link_to_resend`", body = ErrorBody)))]
async fn resend_link(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<LinkSent>> {
    Ok(Json(
        public::resend_link(&state.db, &state.certificates, &p, id).await?,
    ))
}

/// The IE's issued certificates, searchable.
#[utoipa::path(get, path = "/certificates", tag = "certificates", security(("bearer" = [])), params(Search),
    responses((status = 200, body = Page<IssuedLine>), (status = 403, body = ErrorBody)))]
async fn list_issued(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(search): ApiQuery<Search>,
) -> Result<Json<Page<IssuedLine>>> {
    Ok(Json(lists::issued(&state.db, &p, search).await?))
}

/// Where the query names a section.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SectionQuery {
    pub section_id: i64,
}

/// The students of a section and where each one's certificate stands (§5.2).
#[utoipa::path(get, path = "/certificates/section-status", tag = "certificates", security(("bearer" = [])), params(SectionQuery),
    responses((status = 200, body = Vec<SectionRow>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn section_status(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(query): ApiQuery<SectionQuery>,
) -> Result<Json<Vec<SectionRow>>> {
    Ok(Json(
        batch::section_status(&state.db, &p, query.section_id).await?,
    ))
}

/// Issue the certificates of the students ticked (those complete or ready), in one step.
#[utoipa::path(post, path = "/certificates/batch", tag = "certificates", security(("bearer" = [])), request_body = Batch, params(("Idempotency-Key" = Option<String>, Header, description = "Clave de 8 a 255 caracteres visibles: reenviada con la misma solicitud, responde lo que respondió la primera sin repetir la operación.")),
    responses((status = 200, body = BatchResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "`idempotency_in_progress`", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn issue_batch(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<Batch>,
) -> Result<Json<BatchResult>> {
    Ok(Json(
        batch::issue_batch(&state.db, &state.certificates, &p, body).await?,
    ))
}

/// Certificates by id.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IdsQuery {
    /// Certificate ids separated by commas.
    pub ids: String,
}

/// Several certificates as one PDF, a page each (a batch, to print).
#[utoipa::path(get, path = "/certificates/batch-pdf", tag = "certificates", security(("bearer" = [])), params(IdsQuery),
    responses((status = 200, description = "PDF", content_type = "application/pdf"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn batch_pdf(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(query): ApiQuery<IdsQuery>,
) -> Result<Response> {
    let bytes = batch::combined_pdf(&state.db, &state.certificates, &p, &query.ids).await?;
    pdf_response("certificados", bytes)
}

/// An issued certificate, with its QR text and status.
#[utoipa::path(get, path = "/certificates/{id}", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso")),
    responses((status = 200, body = IssuedView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn read_certificate(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<IssuedView>> {
    Ok(Json(
        issue::read(&state.db, &state.certificates, &p, id).await?,
    ))
}

/// Download an issued certificate again (A4 PDF with its QR).
#[utoipa::path(get, path = "/certificates/{id}/pdf", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso")),
    responses((status = 200, description = "PDF", content_type = "application/pdf"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn certificate_pdf(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response> {
    let (code, bytes) = issue::download(&state.db, &state.certificates, &p, id).await?;
    pdf_response(&format!("certificado-{code}"), bytes)
}

/// Annul a certificate with a reason and its category (it stays verifiable, shown as annulled;
/// the published status list gives only the category).
#[utoipa::path(post, path = "/certificates/{id}/annul", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso")), request_body = Annulment,
    responses((status = 200, body = IssuedView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn annul(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Annulment>,
) -> Result<Json<IssuedView>> {
    Ok(Json(
        revocation::annul(&state.db, &state.certificates, &p, id, body).await?,
    ))
}

/// Correct a certificate: a new one is issued and the old one shows as superseded by it.
#[utoipa::path(post, path = "/certificates/{id}/correct", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso")), request_body = Correction,
    responses((status = 201, body = IssuedView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn correct(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Correction>,
) -> Result<(StatusCode, Json<IssuedView>)> {
    let view = revocation::correct(&state.db, &state.certificates, &p, id, body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// What to verify: a QR's payload (or whole text), or a virtual code with an optional document.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    pub payload: Option<String>,
    pub code: Option<String>,
    /// The student's DNI or código de estudiante: with it, the whole content.
    pub document: Option<String>,
}

/// Verify a certificate (public): by QR payload, or by virtual code (validity, IE and date; the
/// whole content with the document number too). A payload that is not valid answers 200 with
/// `valid: false` and the reason.
#[utoipa::path(get, path = "/certificates/verify", tag = "certificates", params(VerifyQuery),
    responses((status = 200, body = Verification), (status = 400, body = ErrorBody), (status = 429, description = "`too_many_verifications`, with `Retry-After`", body = ErrorBody)))]
async fn verify_json(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiQuery(query): ApiQuery<VerifyQuery>,
) -> Result<Json<Verification>> {
    let address = peer.ip().to_string();
    let answer = match (&query.payload, &query.code) {
        (Some(payload), _) => verify::by_payload(&state, payload, &address).await?,
        (None, Some(code)) => {
            verify::by_code_and_document(&state, code, query.document.as_deref(), &address).await?
        }
        (None, None) => {
            return Err(ApiError::because(
                crate::error::ErrorCode::InvalidQuery,
                "Indique `payload`, o `code` (y opcionalmente `document`).",
            ));
        }
    };
    Ok(Json(answer))
}

/// Ask for a certificate without an account (public). The answer (a message and the request's
/// number, which the requester's acknowledgement e-mail repeats) is the same whether or not the
/// student exists.
#[utoipa::path(post, path = "/certificates/public-requests", tag = "certificates", request_body = PublicRequest, params(("Idempotency-Key" = Option<String>, Header, description = "Clave de 8 a 255 caracteres visibles: reenviada con la misma solicitud, responde lo que respondió la primera sin repetir la operación.")),
    responses((status = 202, description = "Recibida"), (status = 400, body = ErrorBody), (status = 409, description = "`idempotency_in_progress`", body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, description = "`too_many_certificate_requests`", body = ErrorBody)))]
async fn public_request(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<PublicRequest>,
) -> Result<Response> {
    let number = public::submit(&state, body, &peer.ip().to_string()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({"message": public::RECEIVED, "number": number})),
    )
        .into_response())
}

/// What the IE offers of Mi Certificado (its director).
#[utoipa::path(get, path = "/schools/{id}/certificate-settings", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso")),
    responses((status = 200, body = Settings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn read_settings(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Settings>> {
    Ok(Json(settings::read(&state.db, &p, id).await?))
}

/// Enable or disable the constancia and public requests for the IE (its director).
#[utoipa::path(put, path = "/schools/{id}/certificate-settings", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso")), request_body = Settings,
    responses((status = 200, body = Settings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn write_settings(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Settings>,
) -> Result<Json<Settings>> {
    Ok(Json(settings::write(&state.db, &p, id, body).await?))
}

/// Staff of the IE allowed to issue certificates.
#[utoipa::path(get, path = "/schools/{id}/certificate-issuers", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso")),
    responses((status = 200, body = Vec<Issuer>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_issuers(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<Issuer>>> {
    Ok(Json(settings::issuers(&state.db, &p, id).await?))
}

/// Let a staff member of the IE issue certificates.
#[utoipa::path(post, path = "/schools/{id}/certificate-issuers", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso")), request_body = Grant,
    responses((status = 200, body = Vec<Issuer>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn grant_issuer(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Grant>,
) -> Result<Json<Vec<Issuer>>> {
    Ok(Json(settings::grant(&state.db, &p, id, body).await?))
}

/// Take the right to issue certificates away from a staff member.
#[utoipa::path(delete, path = "/schools/{id}/certificate-issuers/{user_id}", tag = "certificates", security(("bearer" = [])), params(("id" = i64, Path, description = "Identificador del recurso"), ("user_id" = i64, Path, description = "La cuenta")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_issuer(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, user_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode> {
    settings::revoke(&state.db, &p, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
