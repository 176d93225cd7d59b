//! The tickets' HTTP surface: the help form and its topics, lists, a ticket, its files and its
//! conversation.

use axum::{
    Json,
    body::Body,
    extract::{DefaultBodyLimit, Multipart, State},
    http::{StatusCode, header},
    response::Response,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::helpdesk::{
    conversation,
    dto::{
        NewMessage, ReportProblem, ReportProblemQuery, TicketFilter, TicketForm, TicketPage,
        TicketView, Topic, TopicInput,
    },
    routing,
    tickets::{self, MAX_ATTACHMENTS},
};
use crate::{
    auth::AuthUser,
    error::{ApiError, ErrorBody, Result},
    http::{ApiJson, ApiPath, ApiQuery},
    provisioning::files::MAX_FILE_BYTES,
    state::AppState,
    time::now,
};

/// The help form, its topics, the lists, a ticket, its files and its conversation.
pub(super) fn router() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(file_ticket, list_tickets))
        .layer(DefaultBodyLimit::max(
            MAX_ATTACHMENTS * MAX_FILE_BYTES + 64 * 1024,
        ));
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(list_topics, save_topic))
        .routes(routes!(report_problem))
        .routes(routes!(get_ticket))
        .routes(routes!(attachment))
        .routes(routes!(post_message))
}

/// The topics of the help form (the help desk also sees inactive ones).
#[utoipa::path(get, path = "/helpdesk/topics", tag = "helpdesk", security(("bearer" = [])),
    responses((status = 200, body = Vec<Topic>)))]
async fn list_topics(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> Result<Json<Vec<Topic>>> {
    Ok(Json(tickets::topics(&state.db, &p).await?))
}

/// Add a topic, or change the one with that code (the administrator and the Central de Atención).
#[utoipa::path(post, path = "/helpdesk/topics", tag = "helpdesk", security(("bearer" = [])), request_body = TopicInput,
    responses((status = 200, body = Topic), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn save_topic(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<TopicInput>,
) -> Result<Json<Topic>> {
    Ok(Json(tickets::save_topic(&state.db, &p, body).await?))
}

/// "Report this problem": the help form pre-filled for the caller from an error answer's `code`
/// and `request_id` (its identity and IE, the topic and urgency the code gives, a first line of
/// the comment, and articles of that topic to read first).
#[utoipa::path(get, path = "/helpdesk/report-problem", tag = "helpdesk", security(("bearer" = [])), params(ReportProblemQuery),
    responses((status = 200, body = ReportProblem), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn report_problem(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<ReportProblemQuery>,
) -> Result<Json<ReportProblem>> {
    Ok(Json(routing::report_problem(&state.db, &p, q).await?))
}

/// File a ticket (any signed-in person): `multipart/form-data` with the fields of the help form
/// and up to three files in parts named `attachment`. The acknowledgement e-mail carries the
/// ticket number.
#[utoipa::path(post, path = "/helpdesk/tickets", tag = "helpdesk", security(("bearer" = [])), params(("Idempotency-Key" = Option<String>, Header, description = "Clave de 8 a 255 caracteres visibles: reenviada con la misma solicitud, responde lo que respondió la primera sin repetir la operación.")),
    request_body(content = TicketForm, content_type = "multipart/form-data"),
    responses((status = 201, body = TicketView), (status = 400, body = ErrorBody), (status = 409, description = "`idempotency_in_progress`", body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn file_ticket(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    multipart: Multipart,
) -> Result<(StatusCode, Json<TicketView>)> {
    let (form, uploads, _) = tickets::read_multipart(multipart, &[]).await?;
    Ok((
        StatusCode::CREATED,
        Json(tickets::file(&state, &p, form, uploads, now()).await?),
    ))
}

/// Tickets, newest first: those the caller filed (`view=filed`) or those of its help-desk queues
/// (`view=queue`, the default for agents and specialists), with filters and keyset pages.
#[utoipa::path(get, path = "/helpdesk/tickets", tag = "helpdesk", security(("bearer" = [])), params(TicketFilter),
    responses((status = 200, body = TicketPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_tickets(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(filter): ApiQuery<TicketFilter>,
) -> Result<Json<TicketPage>> {
    Ok(Json(
        tickets::list(&state.db, &state.config.helpdesk, &p, filter, now()).await?,
    ))
}

/// A ticket: its requester sees the public conversation; the help desk within reach sees the
/// internal notes, the reasons of each step and the SLA clocks.
#[utoipa::path(get, path = "/helpdesk/tickets/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])),
    responses((status = 200, body = TicketView), (status = 404, body = ErrorBody)))]
async fn get_ticket(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TicketView>> {
    Ok(Json(tickets::read(&state, &p, id, now()).await?))
}

/// A file attached to a ticket, for those who read the ticket.
#[utoipa::path(get, path = "/helpdesk/tickets/{id}/attachments/{attachment_id}", params(("id" = i64, Path, description = "Identificador del recurso"), ("attachment_id" = i64, Path, description = "El archivo adjunto")), tag = "helpdesk", security(("bearer" = [])),
    responses((status = 200, description = "El archivo (PDF, JPG o PNG)", content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
async fn attachment(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath((id, attachment_id)): ApiPath<(i64, i64)>,
) -> Result<Response> {
    let (bytes, content_type, _) = tickets::attachment(
        &state.db,
        &state.config.storage.data_dir,
        &p,
        id,
        attachment_id,
    )
    .await?;
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"adjunto-{attachment_id}\""),
        )
        .body(Body::from(bytes))
        .map_err(|e| ApiError::Internal(e.into()))
}

/// Post a message: the requester's reply (it ends a wait for the requester), the help desk's
/// public reply (e-mailed to the requester) or an internal note (`internal: true`, never shown
/// to the requester).
#[utoipa::path(post, path = "/helpdesk/tickets/{id}/messages", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = NewMessage,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_message(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewMessage>,
) -> Result<Json<TicketView>> {
    Ok(Json(conversation::post(&state, &p, id, body, now()).await?))
}
