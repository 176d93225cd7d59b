//! The knowledge base's HTTP surface: similar tickets, articles, their drafts and votes.

use axum::{Json, extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::helpdesk::{
    dto::{Article, ArticleHit, ArticleInput, Feedback, SearchQuery, SimilarTicket},
    knowledge,
};
use crate::{
    auth::AuthUser,
    error::{ErrorBody, Result},
    http::{ApiJson, ApiPath, ApiQuery},
    state::AppState,
    time::now,
};

/// Similar tickets and the knowledge base.
pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(similar))
        .routes(routes!(draft_article))
        .routes(routes!(search_articles, create_article))
        .routes(routes!(get_article, change_article))
        .routes(routes!(article_feedback))
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
