//! The HTTP surface of a ticket's steps: each handler names its step and calls the workflow.

use axum::{Json, extract::State};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::helpdesk::{
    dto::{AssignInput, MergeInput, PriorityInput, RatingInput, Reason, Resolution, TicketView},
    workflow::{self, Step},
};
use crate::{
    auth::AuthUser,
    error::{ErrorBody, Result},
    http::{ApiJson, ApiPath},
    state::AppState,
    time::now,
};

/// A ticket's steps.
pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
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
