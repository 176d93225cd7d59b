//! The knowledge base's pages (`/consola/articulos`): search and read for everyone signed in (the
//! published articles; the help desk, every one), "¿Le sirvió?", and writing, editing and
//! publishing for those who keep it. The same services as `/helpdesk/articles`.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::context;
use serde::Deserialize;

use entity::helpdesk_vocabulary::ArticleState;

use super::{
    layout::{message_page, render, render_wide},
    session::{Posted, Signed},
    ticket_view::{lima, spanish},
};
use crate::{
    error::ApiError,
    helpdesk::{
        access,
        dto::{Article, ArticleInput, Feedback, SearchQuery},
        knowledge,
        links::ARTICLES_PATH,
        tickets,
    },
    state::AppState,
    time::now,
};

/// The page where an article is edited.
pub fn edit_path(id: i64) -> String {
    format!("{ARTICLES_PATH}/{id}/editar")
}

/// The form to write a new article.
pub const NEW_PATH: &str = "/consola/articulos/nuevo";

fn state_label(state: ArticleState) -> &'static str {
    match state {
        ArticleState::Borrador => "Borrador",
        ArticleState::Publicado => "Publicado",
        ArticleState::Archivado => "Archivado",
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
    /// `all`: drafts and archived articles too (the help desk).
    #[serde(default)]
    estado: String,
}

/// The search page: the latest articles, or those matching the words typed.
pub async fn search(
    State(state): State<AppState>,
    signed: Signed,
    Query(s): Query<Search>,
) -> Response {
    let staff = access::is_staff(&signed.principal);
    let all = staff && s.estado == "all";
    let query = SearchQuery {
        q: Some(s.q.chars().take(200).collect()).filter(|q: &String| !q.trim().is_empty()),
        state: all.then(|| "all".to_owned()),
        limit: Some(20),
    };
    let hits = match knowledge::search(&state.db, &signed.principal, query).await {
        Ok(hits) => hits,
        Err(error @ ApiError::Client { .. }) => {
            return message_page(
                error.status(),
                Some(&signed.person()),
                "Búsqueda no válida",
                &spanish(&error),
            );
        }
        Err(error) => return error.into_response(),
    };
    let hits: Vec<minijinja::Value> = hits
        .into_iter()
        .map(|a| {
            context! {
                href => format!("{ARTICLES_PATH}/{}", a.id),
                title => a.title,
                snippet => a.snippet,
                state => (a.state != ArticleState::Publicado).then(|| state_label(a.state)),
            }
        })
        .collect();
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Base de conocimiento",
        "console_articles.html",
        context! {
            action => ARTICLES_PATH,
            q => s.q,
            all,
            staff,
            writes => access::manages(&signed.principal),
            new => NEW_PATH,
            hits,
        },
    )
}

/// An article, with "¿Le sirvió?" and its counts.
pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(flash): Query<Flash>,
) -> Response {
    let Ok(id) = id.parse() else {
        return not_found(&signed);
    };
    let article = match knowledge::read(&state.db, &signed.principal, id).await {
        Ok(article) => article,
        Err(ApiError::Client { .. }) => return not_found(&signed),
        Err(error) => return error.into_response(),
    };
    render(
        StatusCode::OK,
        Some(&signed.person()),
        &article.title.clone(),
        "console_article.html",
        context! {
            back => ARTICLES_PATH,
            action => format!("{ARTICLES_PATH}/{id}"),
            edit => access::manages(&signed.principal).then(|| edit_path(id)),
            csrf => &signed.csrf,
            done => flash.hecho.as_deref().map(|done| if done == "resuelto" {
                "Nos alegra que el artículo resolviera su consulta: no necesita registrar un ticket."
            } else {
                "Gracias: su respuesta nos ayuda a mejorar los artículos."
            }),
            from_form => flash.desde.as_deref() == Some("consulta"),
            ..article_view(&article)
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    hecho: Option<String>,
    /// `consulta`: opened from the help form's suggestions.
    desde: Option<String>,
}

fn article_view(a: &Article) -> minijinja::Value {
    context! {
        article_title => &a.title,
        problem => &a.problem,
        solution => &a.solution,
        topic => &a.topic,
        tags => a.tags.join(", "),
        state => state_label(a.state),
        state_code => a.state.code(),
        source_ticket => &a.source_ticket,
        helpful => a.helpful,
        not_helpful => a.not_helpful,
        deflections => a.deflections,
        my_vote => a.my_vote,
        updated => lima(a.updated_at),
        removed => a.removed.iter().map(|r| format!("{} × {} en {}", r.count, r.placeholder, r.field)).collect::<Vec<_>>(),
    }
}

fn not_found(signed: &Signed) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        Some(&signed.person()),
        "Artículo no encontrado",
        "No existe ese artículo, o aún no está publicado.",
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct VoteForm {
    #[serde(default)]
    helpful: String,
    /// `1`: the article answered the question the person was about to file.
    #[serde(default)]
    deflected: String,
}

/// "¿Le sirvió?": sí or no.
pub async fn vote(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<VoteForm>,
) -> Response {
    let Posted { signed, form } = posted;
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let deflected = form.deflected == "1";
    let input = Feedback {
        helpful: Some(deflected || form.helpful == "si"),
        deflected,
    };
    let done = if deflected { "resuelto" } else { "voto" };
    match knowledge::feedback(&state.db, &signed.principal, id, input, now()).await {
        Ok(_) => Redirect::to(&format!("{ARTICLES_PATH}/{id}?hecho={done}")).into_response(),
        Err(ApiError::Client { .. }) => not_found(&signed),
        Err(error) => error.into_response(),
    }
}

/// What the article form sends.
#[derive(Debug, Default, Deserialize)]
pub struct ArticleForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    problem: String,
    #[serde(default)]
    solution: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    state: String,
}

impl ArticleForm {
    fn input(self) -> ArticleInput {
        ArticleInput {
            title: Some(self.title),
            problem: Some(self.problem),
            solution: Some(self.solution),
            topic: Some(self.topic),
            tags: Some(
                self.tags
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            state: Some(self.state).filter(|s| !s.is_empty()),
        }
    }
}

/// The form to write an article, empty or with an article.
async fn editor(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    id: Option<i64>,
    values: minijinja::Value,
    error: Option<String>,
) -> Response {
    if !access::manages(&signed.principal) {
        return message_page(
            StatusCode::FORBIDDEN,
            Some(&signed.person()),
            "Sin acceso",
            "Solo quienes mantienen la base de conocimiento escriben y publican artículos.",
        );
    }
    let topics = match tickets::topics(&state.db, &signed.principal).await {
        Ok(topics) => topics,
        Err(error) => return error.into_response(),
    };
    let topics: Vec<minijinja::Value> = topics
        .into_iter()
        .map(|t| context! { code => t.code, name => t.name })
        .collect();
    let states: Vec<minijinja::Value> = ArticleState::ALL
        .iter()
        .map(|s| context! { code => s.code(), label => state_label(*s) })
        .collect();
    render(
        status,
        Some(&signed.person()),
        if id.is_some() {
            "Editar artículo"
        } else {
            "Nuevo artículo"
        },
        "console_article_form.html",
        context! {
            action => id.map_or(NEW_PATH.to_owned(), edit_path),
            back => ARTICLES_PATH,
            csrf => &signed.csrf,
            topics,
            states,
            error,
            ..values
        },
    )
}

/// The empty form.
pub async fn new_form(State(state): State<AppState>, signed: Signed) -> Response {
    editor(
        &state,
        &signed,
        StatusCode::OK,
        None,
        context! { state_code => "borrador" },
        None,
    )
    .await
}

/// The form with the article (a draft drawn from a ticket lands here).
pub async fn edit_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse() else {
        return not_found(&signed);
    };
    if !access::manages(&signed.principal) {
        return editor(
            &state,
            &signed,
            StatusCode::FORBIDDEN,
            None,
            context! {},
            None,
        )
        .await;
    }
    let article = match knowledge::read(&state.db, &signed.principal, id).await {
        Ok(article) => article,
        Err(ApiError::Client { .. }) => return not_found(&signed),
        Err(error) => return error.into_response(),
    };
    let topic_code = topic_code(&state, &signed, article.topic.as_deref()).await;
    let values = context! { topic_code, ..article_view(&article) };
    editor(&state, &signed, StatusCode::OK, Some(id), values, None).await
}

/// The code of the topic an article names (articles answer with the topic's name).
async fn topic_code(state: &AppState, signed: &Signed, name: Option<&str>) -> Option<String> {
    let name = name?;
    tickets::topics(&state.db, &signed.principal)
        .await
        .ok()?
        .into_iter()
        .find(|t| t.name == name)
        .map(|t| t.code)
}

/// Writes a new article.
pub async fn create(State(state): State<AppState>, posted: Posted<ArticleForm>) -> Response {
    let Posted { signed, form } = posted;
    let values = form_values(&form);
    match knowledge::create(&state.db, &signed.principal, form.input(), now()).await {
        Ok(article) => Redirect::to(&format!("{ARTICLES_PATH}/{}", article.id)).into_response(),
        Err(error @ ApiError::Client { .. }) => {
            editor(
                &state,
                &signed,
                error.status(),
                None,
                values,
                Some(spanish(&error)),
            )
            .await
        }
        Err(error) => error.into_response(),
    }
}

/// Changes an article: its text, or its state (publish, archive).
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<ArticleForm>,
) -> Response {
    let Posted { signed, form } = posted;
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let values = form_values(&form);
    match knowledge::change(&state.db, &signed.principal, id, form.input(), now()).await {
        Ok(article) => Redirect::to(&format!("{ARTICLES_PATH}/{}", article.id)).into_response(),
        Err(error @ ApiError::Client { .. }) if error.status() != StatusCode::NOT_FOUND => {
            editor(
                &state,
                &signed,
                error.status(),
                Some(id),
                values,
                Some(spanish(&error)),
            )
            .await
        }
        Err(ApiError::Client { .. }) => not_found(&signed),
        Err(error) => error.into_response(),
    }
}

/// What the form showed, to show it again with what went wrong.
fn form_values(form: &ArticleForm) -> minijinja::Value {
    context! {
        article_title => &form.title,
        problem => &form.problem,
        solution => &form.solution,
        topic_code => &form.topic,
        tags => &form.tags,
        state_code => &form.state,
    }
}
