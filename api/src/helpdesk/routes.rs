//! HTTP surface of the help desk: each handler extracts, calls one service and answers.

use axum::{
    Json,
    body::Body,
    extract::{DefaultBodyLimit, Multipart, State},
    http::{StatusCode, header},
    response::Response,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    availability, calendar, conversation,
    dto::{
        Article, ArticleHit, ArticleInput, AssignInput, Availability, AvailabilityInput,
        BacklogQuery, Feedback, Holiday, HolidayInput, MergeInput, NewMessage, PriorityInput,
        RatingInput, Reason, ReportProblem, ReportProblemQuery, ReportQuery, Resolution,
        SearchQuery, SimilarTicket, TicketFilter, TicketForm, TicketPage, TicketView, Topic,
        TopicInput, YearQuery,
    },
    knowledge, reports, routing,
    tickets::{self, ATTACHMENT, MAX_ATTACHMENTS},
    workflow::{self, Step},
};
use crate::{
    auth::AuthUser,
    error::{ApiError, ErrorBody, ErrorCode, Result},
    http::{ApiJson, ApiPath, ApiQuery},
    provisioning::files::{MAX_FILE_BYTES, Upload},
    state::AppState,
    time::now,
};

pub fn router() -> OpenApiRouter<AppState> {
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
        .routes(routes!(take))
        .routes(routes!(assign))
        .routes(routes!(wait))
        .routes(routes!(escalate))
        .routes(routes!(return_ticket))
        .routes(routes!(resolve))
        .routes(routes!(close))
        .routes(routes!(reopen))
        .routes(routes!(merge))
        .routes(routes!(annul))
        .routes(routes!(priority))
        .routes(routes!(rate))
        .routes(routes!(similar))
        .routes(routes!(draft_article))
        .routes(routes!(search_articles, create_article))
        .routes(routes!(get_article, change_article))
        .routes(routes!(article_feedback))
        .routes(routes!(list_holidays, add_holiday))
        .routes(routes!(change_holiday, delete_holiday))
        .routes(routes!(my_availability, set_my_availability))
        .routes(routes!(backlog))
        .routes(routes!(summary))
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
    let (form, uploads) = read_form(multipart).await?;
    Ok((
        StatusCode::CREATED,
        Json(tickets::file(&state, &p, form, uploads, now()).await?),
    ))
}

async fn read_form(mut multipart: Multipart) -> Result<(TicketForm, Vec<Upload>)> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::because(
                ErrorCode::PayloadTooLarge,
                "Los archivos adjuntos no pueden superar 5 MB cada uno.",
            )
        } else {
            ApiError::invalid_body("El formulario no se pudo leer (se espera multipart/form-data).")
        }
    };
    let mut form = TicketForm::default();
    let mut uploads = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == ATTACHMENT.field {
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(bad)?;
            if uploads.len() >= MAX_ATTACHMENTS {
                return Err(ApiError::field(
                    ATTACHMENT.field,
                    "Adjunte hasta 3 archivos.",
                ));
            }
            uploads.push(Upload::check_part(
                &ATTACHMENT,
                file_name.as_deref(),
                bytes.to_vec(),
            )?);
            continue;
        }
        let value = field.text().await.map_err(bad)?;
        let slot = match name.as_str() {
            "email" => &mut form.email,
            "codigo_modular" => &mut form.codigo_modular,
            "cell_phone" => &mut form.cell_phone,
            "extension" => &mut form.extension,
            "topic" => &mut form.topic,
            "comment" => &mut form.comment,
            "error_code" => &mut form.error_code,
            "request_id" => &mut form.request_id,
            _ => continue,
        };
        *slot = Some(value);
    }
    Ok((form, uploads))
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

async fn step(
    state: &AppState,
    p: &crate::auth::Principal,
    id: i64,
    step: Step,
) -> Result<Json<TicketView>> {
    Ok(Json(workflow::apply(state, p, id, step, now()).await?))
}

/// Take a ticket of the caller's level (it becomes `en_atencion`, assigned to the caller).
#[utoipa::path(post, path = "/helpdesk/tickets/{id}/take", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn take(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TicketView>> {
    step(&state, &p, id, Step::Take).await
}

/// Assign a ticket to a person of its level, or round-robin among them (the least loaded).
#[utoipa::path(post, path = "/helpdesk/tickets/{id}/assign", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = AssignInput,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn assign(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AssignInput>,
) -> Result<Json<TicketView>> {
    step(&state, &p, id, Step::Assign(body.user_id)).await
}

/// Ask the requester (the reason is the public question, e-mailed): `esperando_usuario`, the SLA
/// clock pauses until the requester replies.
#[utoipa::path(post, path = "/helpdesk/tickets/{id}/wait", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = Reason,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn wait(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<TicketView>> {
    step(&state, &p, id, Step::Wait(body.reason)).await
}

/// Escalate to the next level's queue (N2 of the requester's UGEL and DRE, then N3) with a reason.
#[utoipa::path(post, path = "/helpdesk/tickets/{id}/escalate", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = Reason,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn escalate(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<TicketView>> {
    step(&state, &p, id, Step::Escalate(body.reason)).await
}

/// Return a ticket to the level below, with a reason.
#[utoipa::path(post, path = "/helpdesk/tickets/{id}/return", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = Reason,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn return_ticket(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<TicketView>> {
    step(&state, &p, id, Step::Return(body.reason)).await
}

/// Resolve with the resolution text (e-mailed to the requester).
#[utoipa::path(post, path = "/helpdesk/tickets/{id}/resolve", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = Resolution,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn resolve(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Resolution>,
) -> Result<Json<TicketView>> {
    step(&state, &p, id, Step::Resolve(body.resolution)).await
}

/// The requester confirms the resolution: `cerrado`.
#[utoipa::path(post, path = "/helpdesk/tickets/{id}/close", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn close(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TicketView>> {
    step(&state, &p, id, Step::Close).await
}

/// The requester reopens a resolved or closed ticket within the allowed days, saying why.
#[utoipa::path(post, path = "/helpdesk/tickets/{id}/reopen", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = Reason,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reopen(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<TicketView>> {
    step(&state, &p, id, Step::Reopen(body.reason)).await
}

/// Merge a duplicate into another ticket: `fusionado`.
#[utoipa::path(post, path = "/helpdesk/tickets/{id}/merge", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = MergeInput,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn merge(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MergeInput>,
) -> Result<Json<TicketView>> {
    step(
        &state,
        &p,
        id,
        Step::Merge {
            into: body.into,
            reason: body.reason,
        },
    )
    .await
}

/// Annul a ticket with a reason: `anulado`.
#[utoipa::path(post, path = "/helpdesk/tickets/{id}/annul", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = Reason,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn annul(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Reason>,
) -> Result<Json<TicketView>> {
    step(&state, &p, id, Step::Annul(body.reason)).await
}

/// Set impact and urgency (the priority follows GLPI's matrix), with a reason.
#[utoipa::path(post, path = "/helpdesk/tickets/{id}/priority", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = PriorityInput,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn priority(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PriorityInput>,
) -> Result<Json<TicketView>> {
    step(
        &state,
        &p,
        id,
        Step::Priority {
            impact: body.impact,
            urgency: body.urgency,
            reason: body.reason,
        },
    )
    .await
}

/// The requester rates the service of a resolved ticket: 1 to 5, a comment required below 3.
#[utoipa::path(post, path = "/helpdesk/tickets/{id}/rating", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = RatingInput,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rate(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RatingInput>,
) -> Result<Json<TicketView>> {
    step(
        &state,
        &p,
        id,
        Step::Rate {
            score: body.score,
            comment: body.comment,
        },
    )
    .await
}

/// Tickets similar to this one, open and resolved, with probable duplicates first (the help desk).
#[utoipa::path(get, path = "/helpdesk/tickets/{id}/similar", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])),
    responses((status = 200, body = Vec<SimilarTicket>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn similar(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<SimilarTicket>>> {
    Ok(Json(knowledge::similar(&state.db, &p, id).await?))
}

/// Turn a resolved ticket into a draft article in one step (the help desk).
#[utoipa::path(post, path = "/helpdesk/tickets/{id}/article", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])),
    responses((status = 201, body = Article), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn draft_article(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<Article>)> {
    Ok((
        StatusCode::CREATED,
        Json(knowledge::from_ticket(&state.db, &p, id, now()).await?),
    ))
}

/// Search the knowledge base in Spanish, accents and inflections ignored (suggestions while a
/// user types its problem: published articles, best first).
#[utoipa::path(get, path = "/helpdesk/articles", tag = "helpdesk", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, body = Vec<ArticleHit>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn search_articles(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<ArticleHit>>> {
    Ok(Json(knowledge::search(&state.db, &p, q).await?))
}

/// Write an article (the help desk); it starts as a draft unless a state is given.
#[utoipa::path(post, path = "/helpdesk/articles", tag = "helpdesk", security(("bearer" = [])), request_body = ArticleInput,
    responses((status = 201, body = Article), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_article(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<ArticleInput>,
) -> Result<(StatusCode, Json<Article>)> {
    Ok((
        StatusCode::CREATED,
        Json(knowledge::create(&state.db, &p, body, now()).await?),
    ))
}

/// An article (published ones to everyone).
#[utoipa::path(get, path = "/helpdesk/articles/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])),
    responses((status = 200, body = Article), (status = 404, body = ErrorBody)))]
async fn get_article(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Article>> {
    Ok(Json(knowledge::read(&state.db, &p, id).await?))
}

/// Change an article: its text, or publish or archive it (the help desk).
#[utoipa::path(patch, path = "/helpdesk/articles/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = ArticleInput,
    responses((status = 200, body = Article), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_article(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ArticleInput>,
) -> Result<Json<Article>> {
    Ok(Json(
        knowledge::change(&state.db, &p, id, body, now()).await?,
    ))
}

/// "¿Le sirvió?" (one vote per person: a second one replaces the first; the article's counts and
/// the caller's own vote come back), and a deflection when the reader leaves without filing a
/// ticket.
#[utoipa::path(post, path = "/helpdesk/articles/{id}/feedback", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = Feedback,
    responses((status = 200, body = Article), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn article_feedback(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Feedback>,
) -> Result<Json<Article>> {
    Ok(Json(
        knowledge::feedback(&state.db, &p, id, body, now()).await?,
    ))
}

/// The help-desk calendar's holidays of a year (national, and each DRE's for its N2 queues).
#[utoipa::path(get, path = "/helpdesk/holidays", tag = "helpdesk", security(("bearer" = [])), params(YearQuery),
    responses((status = 200, body = Vec<Holiday>)))]
async fn list_holidays(
    State(state): State<AppState>,
    AuthUser(_p): AuthUser,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> Result<Json<Vec<Holiday>>> {
    let year = q
        .year
        .unwrap_or_else(|| chrono::Datelike::year(&crate::time::today_lima()));
    Ok(Json(calendar::list_holidays(&state.db, year).await?))
}

/// Add a holiday to the help-desk calendar (the administrator and the Central de Atención);
/// open tickets' SLA follows at once.
#[utoipa::path(post, path = "/helpdesk/holidays", tag = "helpdesk", security(("bearer" = [])), request_body = HolidayInput,
    responses((status = 201, body = Holiday), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_holiday(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<HolidayInput>,
) -> Result<(StatusCode, Json<Holiday>)> {
    Ok((
        StatusCode::CREATED,
        Json(calendar::add_holiday(&state.db, &p, body).await?),
    ))
}

/// The caller's availability for round-robin assignment (agents and specialists).
#[utoipa::path(get, path = "/helpdesk/me/availability", tag = "helpdesk", security(("bearer" = [])),
    responses((status = 200, body = Availability), (status = 403, body = ErrorBody)))]
async fn my_availability(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> Result<Json<Availability>> {
    Ok(Json(availability::read(&state.db, &p).await?))
}

/// Set the caller's availability: round-robin assigns new tickets only to those available
/// (agents and specialists; each sets its own).
#[utoipa::path(put, path = "/helpdesk/me/availability", tag = "helpdesk", security(("bearer" = [])), request_body = AvailabilityInput,
    responses((status = 200, body = Availability), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_my_availability(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<AvailabilityInput>,
) -> Result<Json<Availability>> {
    Ok(Json(
        availability::set(&state.db, &p, body.available, now()).await?,
    ))
}

/// Change a holiday of the help-desk calendar (the administrator and the Central de Atención);
/// open tickets' SLA follows at once.
#[utoipa::path(put, path = "/helpdesk/holidays/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])), request_body = HolidayInput,
    responses((status = 200, body = Holiday), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_holiday(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<HolidayInput>,
) -> Result<Json<Holiday>> {
    Ok(Json(
        calendar::change_holiday(&state.db, &p, id, body).await?,
    ))
}

/// Delete a holiday from the help-desk calendar (the administrator and the Central de Atención);
/// open tickets' SLA follows at once.
#[utoipa::path(delete, path = "/helpdesk/holidays/{id}", params(("id" = i64, Path, description = "Identificador del recurso")), tag = "helpdesk", security(("bearer" = [])),
    responses((status = 204, description = "Eliminado"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_holiday(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode> {
    calendar::delete_holiday(&state.db, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn csv(mut lines: Vec<String>, name: &str, bom: bool) -> Result<Response> {
    if bom && let Some(first) = lines.first_mut() {
        first.insert(0, '\u{feff}');
    }
    let stream = futures_util::stream::iter(lines.into_iter().map(Ok::<_, std::io::Error>));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.csv\""),
        )
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::Internal(e.into()))
}

fn json<T: serde::Serialize>(value: &T) -> Result<Response> {
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.into()))?,
        ))
        .map_err(|e| ApiError::Internal(e.into()))
}

/// `bom=1` starts a CSV with a UTF-8 byte order mark (as the attendance export does).
fn wants_bom(bom: Option<u8>) -> Result<bool> {
    match bom {
        None | Some(0) => Ok(false),
        Some(1) => Ok(true),
        Some(_) => Err(ApiError::because(
            ErrorCode::InvalidQuery,
            "El parámetro «bom» debe ser 0 o 1.",
        )),
    }
}

fn wants_csv(format: Option<&str>) -> Result<bool> {
    match format {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => Err(ApiError::because(
            ErrorCode::InvalidQuery,
            format!(
                "Formato no válido: «{}». Valores permitidos: json, csv.",
                other.chars().take(40).collect::<String>()
            ),
        )),
    }
}

/// The open tickets by level, state, topic and UGEL (JSON, or CSV with `format=csv`).
#[utoipa::path(get, path = "/helpdesk/reports/backlog", tag = "helpdesk", security(("bearer" = [])), params(BacklogQuery),
    responses((status = 200, body = Vec<reports::BacklogRow>, description = "JSON, o CSV con `format=csv`"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn backlog(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<BacklogQuery>,
) -> Result<Response> {
    let as_csv = wants_csv(q.format.as_deref())?;
    let bom = wants_bom(q.bom)?;
    let rows = reports::backlog(&state.db, &p).await?;
    if as_csv {
        csv(reports::backlog_csv(&rows), "pendientes", bom)
    } else {
        json(&rows)
    }
}

/// SLA compliance, medians, time per level, bounces, reopen rate and satisfaction of the tickets
/// filed in a period (`from`, `to`; by default the last 30 days), as JSON or CSV.
#[utoipa::path(get, path = "/helpdesk/reports/summary", tag = "helpdesk", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, body = reports::Summary, description = "JSON, o CSV con `format=csv`"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn summary(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response> {
    let as_csv = wants_csv(q.format.as_deref())?;
    let bom = wants_bom(q.bom)?;
    let now = now();
    let period = reports::period(q.from, q.to, now)?;
    let summary = reports::summary(&state.db, &state.config.helpdesk, &p, period, now).await?;
    if as_csv {
        csv(reports::summary_csv(&summary), "resumen", bom)
    } else {
        json(&summary)
    }
}
