//! The public pages of Mi Certificado: the page a certificate's QR opens, verification by
//! virtual code, the request form for people without an account, the download of an issued
//! certificate by its e-mailed link, and the signed lists offline verifiers fetch. Spanish HTML
//! without JavaScript, with a strict content security policy; they work on a phone.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Form, Json, Router,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use minijinja::context;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use entity::certificate::CertificateStatus;

use super::{
    payload::{CertificateContent, situation_label},
    public::{self, Download, LinkState, NewLinkRequest, NoLongerValid, PublicRequest},
    published::Tagged,
    revocation::StatusCategory,
    signing::SignedList,
    verify::{self, Verification},
};
use crate::{
    error::{ApiError, ErrorCode},
    state::AppState,
    time::now,
};

pub use super::answer::{
    DOWNLOAD_PATH, KEYS_PATH, NEW_LINK_PATH, REQUEST_PATH, STATUS_PATH, VERIFY_PATH,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/V/{payload}", get(by_qr))
        .route("/v/{payload}", get(by_qr))
        .route(VERIFY_PATH, get(by_code))
        .route(REQUEST_PATH, get(request_form).post(request_sent))
        .route(DOWNLOAD_PATH, get(download_page).post(download))
        .route(NEW_LINK_PATH, get(new_link_form).post(new_link_sent))
        .route(KEYS_PATH, get(keys))
        .route(STATUS_PATH, get(status_list))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json") && !v.contains("text/html"))
}

/// The page a QR opens: the signature checked, the status, the signed content.
async fn by_qr(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(payload): Path<String>,
) -> Response {
    let answer = verify::by_payload(&state, &payload, &peer.ip().to_string()).await;
    answer_verification(answer, wants_json(&headers), None)
}

#[derive(Debug, Deserialize)]
struct CodeQuery {
    codigo: Option<String>,
    documento: Option<String>,
}

/// The form to verify by code (and document), and its answer.
async fn by_code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<CodeQuery>,
) -> Response {
    let code = query.codigo.unwrap_or_default();
    if code.trim().is_empty() {
        return verification_page(StatusCode::OK, context! {});
    }
    let answer = verify::by_code_and_document(
        &state,
        &code,
        query.documento.as_deref(),
        &peer.ip().to_string(),
    )
    .await;
    answer_verification(answer, wants_json(&headers), Some(&code))
}

fn answer_verification(
    answer: Result<Verification, ApiError>,
    json: bool,
    code: Option<&str>,
) -> Response {
    match answer {
        Ok(v) if json => Json(v).into_response(),
        Ok(v) => {
            // Asked by code: the form again, to correct the document or to add it for the grades.
            let (form_code, ask_document) = match code {
                Some(code) if v.document_mismatch => (Some(verify::normalize_code(code)), false),
                Some(_) if v.content.is_none() && v.signature_valid => {
                    (Some(v.virtual_code.clone().unwrap_or_default()), true)
                }
                _ => (None, false),
            };
            let (heading_class, heading) = heading(&v);
            verification_page(
                StatusCode::OK,
                context! {
                    heading_class, heading, form_code, ask_document,
                    issued_on => v.issued_on.map(|d| d.format("%d/%m/%Y").to_string()),
                    content => v.content.as_ref().map(content_view),
                    v,
                },
            )
        }
        Err(error) if json => error.into_response(),
        Err(error) => {
            let status = error.status();
            let mut response =
                verification_page(status, context! { failure => client_message(&error) });
            if let ApiError::Client {
                retry_after: Some(seconds),
                ..
            } = error
                && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}

fn verification_page(status: StatusCode, page: minijinja::Value) -> Response {
    render(
        status,
        "Verificación de certificado",
        "certificate_verify.html",
        context! { verify_path => VERIFY_PATH, ..page },
    )
}

fn client_message(error: &ApiError) -> String {
    match error {
        ApiError::Client { message, .. } => message.to_string(),
        ApiError::Internal(_) => ErrorCode::InternalError.message().to_owned(),
    }
}

/// The heading's class and words for a verification's status.
fn heading(v: &Verification) -> (&'static str, &'static str) {
    let code_only = v.signature_valid && v.content.is_none();
    match v.status.as_str() {
        "vigente" if code_only => ("ok", "Código de un certificado vigente"),
        "vigente" => ("ok", "Certificado válido y vigente"),
        "anulado" => ("bad", "Certificado ANULADO"),
        "reemplazado" => ("warn", "Certificado REEMPLAZADO"),
        "no_registrado" => ("warn", "Firma válida, certificado no registrado"),
        "documento_no_coincide" => ("bad", "No verificado"),
        _ => ("bad", "Certificado no válido"),
    }
}

/// The signed content as the page shows it: each year with its final situation in words.
fn content_view(c: &CertificateContent) -> minijinja::Value {
    let years: Vec<minijinja::Value> = c
        .years
        .iter()
        .map(|year| {
            context! {
                situation_label => situation_label(&year.situation),
                ..minijinja::Value::from_serialize(year)
            }
        })
        .collect();
    context! { years, ..minijinja::Value::from_serialize(c) }
}

/// The request form for people without an account.
async fn request_form() -> Response {
    request_page(
        StatusCode::OK,
        context! { view => "form", sent => Sent::default() },
    )
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct Sent {
    #[serde(default)]
    student_document: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    requester_dni: String,
    #[serde(default)]
    requester_names: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    cell_phone: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    relationship: String,
}

/// The form sent: the same answer whether or not the student exists.
async fn request_sent(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(sent): Form<Sent>,
) -> Response {
    let request = PublicRequest {
        student_document: sent.student_document.clone(),
        birth_date: sent.birth_date.clone(),
        requester_dni: sent.requester_dni.clone(),
        requester_names: sent.requester_names.clone(),
        email: sent.email.clone(),
        cell_phone: sent.cell_phone.clone(),
        purpose: sent.purpose.clone(),
        relationship: sent.relationship.clone(),
    };
    match public::submit(&state, request, &peer.ip().to_string()).await {
        Ok(number) => request_page(
            StatusCode::OK,
            context! { view => "received", number, message => public::RECEIVED },
        ),
        Err(ApiError::Client {
            fields: Some(fields),
            ..
        }) => request_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            context! { view => "form", sent, errors => fields.values().collect::<Vec<_>>() },
        ),
        Err(error) => request_page(
            error.status(),
            context! { view => "failed", message => client_message(&error) },
        ),
    }
}

fn request_page(status: StatusCode, page: minijinja::Value) -> Response {
    render(
        status,
        "Solicitar certificado de estudios",
        "certificate_request.html",
        context! {
            request_path => REQUEST_PATH,
            data_notice => public::DATA_NOTICE,
            relationships => [
                ("madre", "Madre"),
                ("padre", "Padre"),
                ("apoderado", "Apoderado(a)"),
                ("estudiante", "Soy el estudiante (mayor de edad)"),
            ],
            ..page
        },
    )
}

#[derive(Debug, Deserialize)]
struct DownloadQuery {
    token: Option<String>,
}

/// The page a download link opens: a button that downloads (a POST), so that opening the link
/// (a mail scanner does) does not spend it.
async fn download_page(
    State(state): State<AppState>,
    Query(query): Query<DownloadQuery>,
) -> Response {
    let token = query.token.unwrap_or_default();
    match public::link_state(&state.db, &token).await {
        Ok(LinkState::Ready { virtual_code }) => download_view(
            StatusCode::OK,
            context! { view => "ready", virtual_code, token },
        ),
        Ok(LinkState::NotValid(gone)) => gone_page(&gone),
        Err(error) => invalid_link_page(&error),
    }
}

#[derive(Debug, Default, Deserialize)]
struct DownloadForm {
    #[serde(default)]
    token: String,
}

/// The download itself: the PDF, once.
async fn download(State(state): State<AppState>, Form(form): Form<DownloadForm>) -> Response {
    match public::download(&state.db, &state.certificates, &form.token).await {
        Ok(Download::Pdf(code, bytes)) => {
            super::answer::pdf_response(&format!("certificado-{code}"), bytes)
                .unwrap_or_else(IntoResponse::into_response)
        }
        Ok(Download::NotValid(gone)) => gone_page(&gone),
        Err(error) => invalid_link_page(&error),
    }
}

fn download_view(status: StatusCode, page: minijinja::Value) -> Response {
    render(
        status,
        "Descarga de certificado",
        "certificate_download.html",
        context! {
            download_path => DOWNLOAD_PATH,
            new_link_path => NEW_LINK_PATH,
            verify_path => VERIFY_PATH,
            ..page
        },
    )
}

fn invalid_link_page(error: &ApiError) -> Response {
    download_view(
        error.status(),
        context! {
            view => "invalid",
            message => client_message(error),
            sent => NewLinkSent::default(),
        },
    )
}

/// A certificate that no longer downloads: annulled or superseded, since when, why, and the one
/// that stands instead.
fn gone_page(gone: &NoLongerValid) -> Response {
    let since = gone.since.map(|at| {
        at.with_timezone(&crate::time::LIMA)
            .format("%d/%m/%Y")
            .to_string()
    });
    download_view(
        StatusCode::GONE,
        context! {
            view => "gone",
            gone => context! {
                superseded => gone.status == CertificateStatus::Superseded,
                virtual_code => &gone.virtual_code,
                since,
                category => gone.category.map(|c| c.label()),
                superseded_by => &gone.superseded_by,
            },
        },
    )
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct NewLinkSent {
    #[serde(default)]
    student_document: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    email: String,
}

/// The form to ask for a new download link.
async fn new_link_form() -> Response {
    new_link_page(
        StatusCode::OK,
        context! { view => "form", sent => NewLinkSent::default() },
    )
}

/// The ask for a new link sent: the same answer whether or not the data match.
async fn new_link_sent(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(sent): Form<NewLinkSent>,
) -> Response {
    let request = NewLinkRequest {
        student_document: sent.student_document.clone(),
        birth_date: sent.birth_date.clone(),
        email: sent.email.clone(),
    };
    match public::ask_new_link(&state, request, &peer.ip().to_string()).await {
        Ok(()) => new_link_page(
            StatusCode::OK,
            context! { view => "received", message => public::NEW_LINK_SENT },
        ),
        Err(ApiError::Client {
            fields: Some(fields),
            ..
        }) => new_link_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            context! { view => "form", sent, errors => fields.values().collect::<Vec<_>>() },
        ),
        Err(error) => new_link_page(
            error.status(),
            context! { view => "failed", message => client_message(&error) },
        ),
    }
}

fn new_link_page(status: StatusCode, page: minijinja::Value) -> Response {
    render(
        status,
        "Nuevo enlace de descarga",
        "certificate_new_link.html",
        context! { new_link_path => NEW_LINK_PATH, ..page },
    )
}

/// A public page of Mi Certificado, in the one layout.
fn render(status: StatusCode, title: &str, template: &str, page: minijinja::Value) -> Response {
    crate::page::Render {
        status,
        title,
        product: "SIAGIE — Mi Certificado",
        person: None,
        template,
        scripts: false,
    }
    .with(page)
}

/// The published key set, signed by the current key; with an entity tag (304 on
/// `If-None-Match`).
async fn keys(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let service = &state.certificates;
    let tagged = service.published_keys.get_or_init(|| {
        let body = serde_json::to_vec(&service.ring.published()).unwrap_or_default();
        Arc::new(Tagged::new(body, 0))
    });
    tagged.answer(&headers, "public, max-age=3600")
}

/// One line of the published status list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatusEntry {
    pub virtual_code: String,
    /// `annulled` or `superseded`.
    pub status: CertificateStatus,
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Why, as a category (`error_de_emision`, `datos_incorrectos`, `duplicado`, `fraude`,
    /// `correccion`, `otro`): the issuer's own words, which may name people, are not published.
    pub category: StatusCategory,
    pub superseded_by: Option<String>,
}

/// How long a signed status list is served again while no certificate changes: its
/// `generated_at` says how recent it is.
const STATUS_LIST_REUSED_FOR: Duration = Duration::from_secs(60);

/// The annulled and superseded certificates, signed, for offline verifiers; with an entity tag
/// (304 on `If-None-Match`). The same signed list is served while no certificate changes, for at
/// most [`STATUS_LIST_REUSED_FOR`].
async fn status_list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let service = &state.certificates;
    // A count of one small index: changes made by other servers are in the list at once.
    if let Err(error) = service.standing.refresh(&state.db).await {
        return error.into_response();
    }
    let (generation, revoked) = service.standing.all();
    let mut published = service
        .published_status
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let tagged = match published.as_ref() {
        Some(t) if t.generation == generation && t.made.elapsed() < STATUS_LIST_REUSED_FOR => {
            t.clone()
        }
        _ => {
            let entries: Vec<StatusEntry> = revoked
                .iter()
                .map(|r| StatusEntry {
                    virtual_code: r.virtual_code.clone(),
                    status: r.status,
                    since: r.status_changed_at,
                    category: StatusCategory::of(r),
                    superseded_by: r.superseded_by.clone(),
                })
                .collect();
            let list = SignedList::sign(&service.ring, now(), entries);
            let tagged = Arc::new(Tagged::new(
                serde_json::to_vec(&list).unwrap_or_default(),
                generation,
            ));
            *published = Some(tagged.clone());
            tagged
        }
    };
    drop(published);
    tagged.answer(&headers, "no-cache")
}
