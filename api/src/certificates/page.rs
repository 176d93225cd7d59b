//! The public pages of Mi Certificado: the page a certificate's QR opens, verification by
//! virtual code, the request form for people without an account, the download of an issued
//! certificate by its e-mailed link, and the signed lists offline verifiers fetch. Spanish HTML
//! without JavaScript, with a strict content security policy; they work on a phone.

use std::net::SocketAddr;

use axum::{
    Form, Json, Router,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use entity::certificate::{self, CertificateStatus};

use super::{
    issue::StatusCategory,
    payload::{CertificateContent, situation_label},
    public::{self, Download, LinkState, NewLinkRequest, NoLongerValid, PublicRequest},
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
    let answer = verify::by_payload(
        &state.db,
        &state.certificates,
        &payload,
        &peer.ip().to_string(),
    )
    .await;
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
        return page(StatusCode::OK, "Verificar certificado", &code_form("", ""));
    }
    let answer = verify::by_code_and_document(
        &state.db,
        &state.certificates,
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
            let mut body = verification_html(&v);
            if let (Some(code), true) = (code, v.document_mismatch) {
                body.push_str(&code_form(&verify::normalize_code(code), ""));
            } else if code.is_some() && v.content.is_none() && v.signature_valid {
                body.push_str(
                    "<p>Para ver las notas, escriba también el número de documento del estudiante.</p>",
                );
                body.push_str(&code_form(
                    v.virtual_code.as_deref().unwrap_or_default(),
                    "",
                ));
            }
            page(StatusCode::OK, "Verificación de certificado", &body)
        }
        Err(error) if json => error.into_response(),
        Err(error) => {
            let status = error.status();
            let mut response = page(
                status,
                "Verificación de certificado",
                &format!(
                    "<h1>Intente más tarde</h1><p role=\"alert\">{}</p>",
                    escape(&client_message(&error))
                ),
            );
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

fn client_message(error: &ApiError) -> String {
    match error {
        ApiError::Client { message, .. } => message.to_string(),
        ApiError::Internal(_) => ErrorCode::InternalError.message().to_owned(),
    }
}

fn code_form(code: &str, document: &str) -> String {
    format!(
        "<form method=\"get\" action=\"{VERIFY_PATH}\">\
         <label for=\"codigo\">Código virtual</label>\
         <input id=\"codigo\" name=\"codigo\" value=\"{}\" required maxlength=\"20\" autocapitalize=\"characters\">\
         <label for=\"documento\">DNI o código del estudiante (opcional, para ver las notas)</label>\
         <input id=\"documento\" name=\"documento\" value=\"{}\" inputmode=\"numeric\" maxlength=\"14\">\
         <button type=\"submit\">Verificar</button></form>",
        escape(code),
        escape(document)
    )
}

fn verification_html(v: &Verification) -> String {
    let mut out = String::new();
    let code_only = v.signature_valid && v.content.is_none();
    let (class, title) = match v.status.as_str() {
        "vigente" if code_only => ("ok", "Código de un certificado vigente"),
        "vigente" => ("ok", "Certificado válido y vigente"),
        "anulado" => ("bad", "Certificado ANULADO"),
        "reemplazado" => ("warn", "Certificado REEMPLAZADO"),
        "no_registrado" => ("warn", "Firma válida, certificado no registrado"),
        "documento_no_coincide" => ("bad", "No verificado"),
        _ => ("bad", "Certificado no válido"),
    };
    out.push_str(&format!("<h1 class=\"{class}\" id=\"estado\">{title}</h1>"));
    if v.document_mismatch {
        // Nothing of the certificate: only that the pair does not match.
        out.push_str(&format!(
            "<p class=\"bad\" role=\"alert\"><strong>El número de documento no corresponde a este código.</strong> {}</p>",
            escape(v.reason.as_deref().unwrap_or_default())
        ));
        return out;
    }
    if !v.signature_valid {
        out.push_str("<p class=\"bad\"><strong>No válido.</strong> ");
    } else {
        out.push_str("<p>");
    }
    match (&v.reason, &v.proves) {
        (Some(reason), _) => out.push_str(&escape(reason)),
        (None, Some(proves)) => out.push_str(&escape(proves)),
        (None, None) => {}
    }
    out.push_str("</p>");
    if let (Some(_), Some(proves)) = (&v.reason, &v.proves) {
        out.push_str(&format!("<p class=\"note\">{}</p>", escape(proves)));
    }
    if let Some(reason) = &v.annul_reason {
        out.push_str(&format!(
            "<p><strong>Motivo:</strong> {}</p>",
            escape(reason)
        ));
    }
    if let Some(code) = &v.superseded_by {
        out.push_str(&format!(
            "<p><strong>Reemplazado por el certificado:</strong> <a href=\"{VERIFY_PATH}?codigo={0}\">{0}</a></p>",
            escape(code)
        ));
    }
    if let (Some(code), Some(school), Some(date)) = (&v.virtual_code, &v.school_name, v.issued_on) {
        out.push_str(&format!(
            "<dl><dt>Código virtual</dt><dd>{}</dd><dt>Institución educativa</dt><dd>{} ({})</dd>\
             <dt>Fecha de emisión</dt><dd>{}</dd></dl>",
            escape(code),
            escape(school),
            escape(v.school_code.as_deref().unwrap_or_default()),
            date.format("%d/%m/%Y")
        ));
    }
    if let Some(content) = &v.content {
        out.push_str(&content_html(content));
    }
    out
}

fn content_html(c: &CertificateContent) -> String {
    let mut out = format!(
        "<h2>Contenido firmado</h2><p><strong>Estudiante:</strong> {} — documento {}</p>",
        escape(&c.student_name),
        escape(&c.masked_document)
    );
    if let Some(code) = &c.supersedes {
        out.push_str(&format!(
            "<p>Reemplaza al certificado {}.</p>",
            escape(code)
        ));
    }
    for year in &c.years {
        out.push_str(&format!(
            "<h3>{} — {} — IE {}</h3>",
            year.year,
            escape(&year.grade),
            escape(&year.codigo_modular)
        ));
        if let Some(t) = &year.transcribed {
            out.push_str(&format!(
                "<p class=\"note\">Año transcrito (sin acta en el SIAGIE), registrado por {}.</p>",
                escape(&t.entered_by)
            ));
        }
        if let Some(r) = &year.regularized {
            out.push_str(&format!(
                "<p class=\"note\">Año registrado después del fin de su año académico (regularización), aprobado por {}.</p>",
                escape(&r.approved_by)
            ));
        }
        out.push_str("<table><thead><tr><th>Área curricular</th><th>Nota</th></tr></thead><tbody>");
        for area in &year.areas {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(&area.area),
                escape(&area.value)
            ));
        }
        out.push_str(&format!(
            "</tbody></table><p><strong>Situación final:</strong> {}</p>",
            escape(situation_label(&year.situation))
        ));
    }
    for o in &c.observations {
        out.push_str(&format!(
            "<p><strong>Observación:</strong> {}</p>",
            escape(&o.observation)
        ));
    }
    out
}

/// The request form for people without an account.
async fn request_form() -> Response {
    page(
        StatusCode::OK,
        "Solicitar certificado de estudios",
        &request_html(None, &Sent::default()),
    )
}

#[derive(Debug, Default, Deserialize)]
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
        Ok(number) => page(
            StatusCode::OK,
            "Solicitud recibida",
            &format!(
                "<h1>Solicitud recibida</h1><p>Número de solicitud: <strong>{}</strong></p>\
                 <p role=\"status\">{}</p>",
                escape(&number),
                public::RECEIVED
            ),
        ),
        Err(ApiError::Client {
            fields: Some(fields),
            ..
        }) => {
            let errors: String = fields
                .values()
                .map(|m| format!("<li>{}</li>", escape(m)))
                .collect();
            page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Solicitar certificado de estudios",
                &request_html(Some(&format!("<ul>{errors}</ul>")), &sent),
            )
        }
        Err(error) => page(
            error.status(),
            "Solicitar certificado de estudios",
            &format!(
                "<h1>No se pudo enviar</h1><p role=\"alert\">{}</p>",
                escape(&client_message(&error))
            ),
        ),
    }
}

fn request_html(errors: Option<&str>, sent: &Sent) -> String {
    let field = |id: &str, label: &str, value: &str, kind: &str, extra: &str| {
        format!(
            "<label for=\"{id}\">{label}</label><input id=\"{id}\" name=\"{id}\" type=\"{kind}\" value=\"{}\" required {extra}>",
            escape(value)
        )
    };
    format!(
        "<h1>Solicitar certificado de estudios</h1>\
         <p>El apoderado o el estudiante mayor de edad puede pedir el certificado oficial de estudios. \
         La solicitud llega a la institución educativa donde el estudiante estudió por última vez.</p>\
         {}\
         <form method=\"post\" action=\"{REQUEST_PATH}\">\
         <fieldset><legend>Estudiante</legend>{}{}</fieldset>\
         <fieldset><legend>Solicitante</legend>{}{}{}{}{}</fieldset>\
         <label for=\"purpose\">¿Para qué necesita el certificado?</label>\
         <textarea id=\"purpose\" name=\"purpose\" required maxlength=\"300\">{}</textarea>\
         <p class=\"note\" id=\"datos-personales\">{}</p>\
         <button type=\"submit\">Enviar solicitud</button></form>",
        errors
            .map(|e| format!("<div class=\"bad\" role=\"alert\">{e}</div>"))
            .unwrap_or_default(),
        field(
            "student_document",
            "DNI o código del estudiante",
            &sent.student_document,
            "text",
            "inputmode=\"numeric\" maxlength=\"14\""
        ),
        field(
            "birth_date",
            "Fecha de nacimiento del estudiante",
            &sent.birth_date,
            "date",
            ""
        ),
        field(
            "requester_dni",
            "Su DNI",
            &sent.requester_dni,
            "text",
            "inputmode=\"numeric\" maxlength=\"8\""
        ),
        field(
            "requester_names",
            "Sus apellidos y nombres",
            &sent.requester_names,
            "text",
            "maxlength=\"120\""
        ),
        field(
            "email",
            "Su correo electrónico",
            &sent.email,
            "email",
            "maxlength=\"120\""
        ),
        field(
            "cell_phone",
            "Su celular",
            &sent.cell_phone,
            "tel",
            "inputmode=\"numeric\" maxlength=\"9\""
        ),
        relationship_select(&sent.relationship),
        escape(&sent.purpose),
        escape(public::DATA_NOTICE),
    )
}

fn relationship_select(chosen: &str) -> String {
    let options: String = [
        ("madre", "Madre"),
        ("padre", "Padre"),
        ("apoderado", "Apoderado(a)"),
        ("estudiante", "Soy el estudiante (mayor de edad)"),
    ]
    .iter()
    .map(|(code, label)| {
        format!(
            "<option value=\"{code}\"{}>{label}</option>",
            if *code == chosen { " selected" } else { "" }
        )
    })
    .collect();
    format!(
        "<label for=\"relationship\">Su relación con el estudiante</label>\
         <select id=\"relationship\" name=\"relationship\" required>\
         <option value=\"\">Elija una opción</option>{options}</select>"
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
        Ok(LinkState::Ready { virtual_code }) => page(
            StatusCode::OK,
            "Descarga de certificado",
            &format!(
                "<h1>Su certificado de estudios</h1>\
                 <p>Certificado con código virtual <strong>{}</strong>. Se entrega en formato digital: \
                 es válido por su firma digital y su código QR.</p>\
                 <form method=\"post\" action=\"{DOWNLOAD_PATH}\">\
                 <input type=\"hidden\" name=\"token\" value=\"{}\">\
                 <button type=\"submit\">Descargar el certificado (PDF)</button></form>\
                 <p class=\"note\">La descarga se puede hacer una sola vez: guarde el archivo. \
                 Si lo necesita de nuevo, <a href=\"{NEW_LINK_PATH}\">pida un nuevo enlace</a>.</p>",
                escape(&virtual_code),
                escape(&token)
            ),
        ),
        Ok(LinkState::NotValid(gone)) => page(
            StatusCode::GONE,
            "Descarga de certificado",
            &no_longer_valid_html(&gone),
        ),
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
        Ok(Download::NotValid(gone)) => page(
            StatusCode::GONE,
            "Descarga de certificado",
            &no_longer_valid_html(&gone),
        ),
        Err(error) => invalid_link_page(&error),
    }
}

fn invalid_link_page(error: &ApiError) -> Response {
    page(
        error.status(),
        "Descarga de certificado",
        &format!(
            "<h1>Enlace no válido</h1><p role=\"alert\">{}</p>\
             <h2>Pedir un nuevo enlace</h2>{}",
            escape(&client_message(error)),
            new_link_html(None, &NewLinkSent::default())
        ),
    )
}

#[derive(Debug, Default, Deserialize)]
struct NewLinkSent {
    #[serde(default)]
    student_document: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    email: String,
}

fn new_link_html(errors: Option<&str>, sent: &NewLinkSent) -> String {
    format!(
        "<p>Escriba los datos del estudiante y el correo con el que hizo la solicitud: si corresponden a una \
         solicitud atendida, le enviaremos a ese correo un nuevo enlace de descarga.</p>{}\
         <form method=\"post\" action=\"{NEW_LINK_PATH}\">\
         <label for=\"student_document\">DNI o código del estudiante</label>\
         <input id=\"student_document\" name=\"student_document\" value=\"{}\" required inputmode=\"numeric\" maxlength=\"14\">\
         <label for=\"birth_date\">Fecha de nacimiento del estudiante</label>\
         <input id=\"birth_date\" name=\"birth_date\" type=\"date\" value=\"{}\" required>\
         <label for=\"email\">Correo electrónico de la solicitud</label>\
         <input id=\"email\" name=\"email\" type=\"email\" value=\"{}\" required maxlength=\"120\">\
         <button type=\"submit\">Enviarme un nuevo enlace</button></form>",
        errors
            .map(|e| format!("<div class=\"bad\" role=\"alert\">{e}</div>"))
            .unwrap_or_default(),
        escape(&sent.student_document),
        escape(&sent.birth_date),
        escape(&sent.email),
    )
}

/// The form to ask for a new download link.
async fn new_link_form() -> Response {
    page(
        StatusCode::OK,
        "Nuevo enlace de descarga",
        &format!(
            "<h1>Nuevo enlace de descarga</h1>{}",
            new_link_html(None, &NewLinkSent::default())
        ),
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
        Ok(()) => page(
            StatusCode::OK,
            "Nuevo enlace de descarga",
            &format!(
                "<h1>Solicitud recibida</h1><p role=\"status\">{}</p>",
                public::NEW_LINK_SENT
            ),
        ),
        Err(ApiError::Client {
            fields: Some(fields),
            ..
        }) => {
            let errors: String = fields
                .values()
                .map(|m| format!("<li>{}</li>", escape(m)))
                .collect();
            page(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Nuevo enlace de descarga",
                &format!(
                    "<h1>Nuevo enlace de descarga</h1>{}",
                    new_link_html(Some(&format!("<ul>{errors}</ul>")), &sent)
                ),
            )
        }
        Err(error) => page(
            error.status(),
            "Nuevo enlace de descarga",
            &format!(
                "<h1>No se pudo enviar</h1><p role=\"alert\">{}</p>",
                escape(&client_message(&error))
            ),
        ),
    }
}

fn no_longer_valid_html(gone: &NoLongerValid) -> String {
    let since = gone
        .since
        .map(|at| {
            format!(
                " el {}",
                at.with_timezone(&crate::time::LIMA).format("%d/%m/%Y")
            )
        })
        .unwrap_or_default();
    let mut out = match gone.status {
        CertificateStatus::Superseded => format!(
            "<h1 class=\"warn\">Certificado reemplazado</h1>\
             <p role=\"alert\">El certificado {} fue reemplazado{since} por un certificado corregido y ya no es válido. \
             No se descarga.</p>",
            escape(&gone.virtual_code)
        ),
        _ => format!(
            "<h1 class=\"bad\">Certificado anulado</h1>\
             <p role=\"alert\">La institución educativa anuló el certificado {}{since}: ya no es válido y no se descarga.</p>",
            escape(&gone.virtual_code)
        ),
    };
    if let Some(category) = gone.category {
        out.push_str(&format!(
            "<p><strong>Motivo:</strong> {}</p>",
            escape(category.label())
        ));
    }
    if let Some(code) = &gone.superseded_by {
        out.push_str(&format!(
            "<p>El certificado vigente es el de código <a href=\"{VERIFY_PATH}?codigo={0}\">{0}</a>: pida a la institución educativa que se lo envíe.</p>",
            escape(code)
        ));
    } else {
        out.push_str(
            "<p>Si necesita un certificado, comuníquese con la institución educativa.</p>",
        );
    }
    out
}

/// The published key set, signed by the current key.
async fn keys(State(state): State<AppState>) -> Response {
    let mut response = Json(state.certificates.ring.published()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
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

/// The annulled and superseded certificates, signed, for offline verifiers.
async fn status_list(State(state): State<AppState>) -> Response {
    let rows = certificate::Entity::find()
        .filter(certificate::Column::Status.ne(CertificateStatus::Valid))
        .order_by_asc(certificate::Column::Id)
        .all(&state.db)
        .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let codes: std::collections::HashMap<i64, String> = match certificate::Entity::find()
        .filter(
            certificate::Column::Id.is_in(
                rows.iter()
                    .filter_map(|r| r.superseded_by)
                    .collect::<Vec<_>>(),
            ),
        )
        .all(&state.db)
        .await
    {
        Ok(found) => found.into_iter().map(|c| (c.id, c.virtual_code)).collect(),
        Err(error) => return ApiError::from(error).into_response(),
    };
    let entries: Vec<StatusEntry> = rows
        .into_iter()
        .map(|c| StatusEntry {
            superseded_by: c.superseded_by.and_then(|id| codes.get(&id).cloned()),
            virtual_code: c.virtual_code,
            status: c.status,
            since: c.status_changed_at,
            category: match (&c.status_category, c.status) {
                (Some(code), _) => StatusCategory::from_code(code),
                (None, CertificateStatus::Superseded) => StatusCategory::Correccion,
                (None, _) => StatusCategory::Otro,
            },
        })
        .collect();
    Json(SignedList::sign(&state.certificates.ring, now(), entries)).into_response()
}

/// A whole page around its body, with a strict content security policy.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"es-PE\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} — SIAGIE</title>\
         <style>body{{font-family:Arial,sans-serif;max-width:40rem;margin:1.5rem auto;padding:0 1rem;color:#222;line-height:1.4}}\
         label{{display:block;margin-top:.8rem}}input,textarea{{width:100%;padding:.5rem;box-sizing:border-box;font-size:1rem}}\
         button{{margin-top:1.2rem;padding:.6rem 1.2rem;font-size:1rem}}table{{border-collapse:collapse;width:100%}}\
         td,th{{border:1px solid #bbb;padding:.3rem .5rem;text-align:left}}dt{{font-weight:bold}}\
         .ok{{color:#0a6b2d}}.bad{{color:#a00}}.warn{{color:#8a5a00}}.note{{color:#555;font-size:.9rem}}\
         fieldset{{border:1px solid #ccc;margin-top:1rem}}</style></head>\
         <body><p><strong>SIAGIE — Mi Certificado</strong> · Ministerio de Educación</p>{body}</body></html>",
        escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
