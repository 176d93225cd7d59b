//! The canned replies' page (`/consola/mesa-de-ayuda/respuestas`), for the Central de Atención:
//! every reply with its form, and a form to add one.

use std::collections::HashMap;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::context;

use entity::helpdesk_vocabulary::CannedStep;

use super::{
    layout::{QUEUE_PATH, message_page, render_wide},
    session::{Posted, Signed},
    ticket_view::spanish,
};
use crate::{
    error::ApiError,
    helpdesk::{
        canned::{self, CannedInput},
        tickets,
    },
    state::AppState,
    time::now,
};

/// The page.
pub const CANNED_PATH: &str = "/consola/mesa-de-ayuda/respuestas";

/// Every canned reply, each with its form, and the form to add one.
pub async fn page(State(state): State<AppState>, signed: Signed) -> Response {
    show(&state, &signed, StatusCode::OK, None).await
}

async fn show(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    if !canned::keeps(&signed.principal) {
        return message_page(
            StatusCode::FORBIDDEN,
            Some(&signed.person()),
            "Sin acceso",
            "Las respuestas predefinidas las mantiene la Central de Atención.",
        );
    }
    let loaded = async {
        let topics = tickets::topics(&state.db, &signed.principal).await?;
        let replies = canned::list(&state.db, None).await?;
        Ok::<_, ApiError>((topics, replies))
    }
    .await;
    let (topics, replies) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return error.into_response(),
    };
    let codes: HashMap<i64, String> = topics.iter().map(|t| (t.id, t.code.clone())).collect();
    let replies: Vec<minijinja::Value> = replies
        .into_iter()
        .map(|r| {
            context! {
                id => r.id,
                title => r.title,
                body => r.body,
                topic => r.topic_id.and_then(|t| codes.get(&t).cloned()).unwrap_or_default(),
                then_step => r.then_step.map(|s| s.code()).unwrap_or_default(),
                active => r.active,
            }
        })
        .collect();
    let topics: Vec<minijinja::Value> = topics
        .into_iter()
        .map(|t| context! { code => t.code, name => t.name })
        .collect();
    let steps: Vec<minijinja::Value> = CannedStep::ALL
        .iter()
        .map(|s| context! { code => s.code(), label => s.label() })
        .collect();
    render_wide(
        status,
        Some(&signed.person()),
        "Respuestas predefinidas",
        "console_canned.html",
        context! {
            queue => QUEUE_PATH,
            action => CANNED_PATH,
            csrf => &signed.csrf,
            replies,
            topics,
            steps,
            error,
        },
    )
}

/// Adds a canned reply.
pub async fn create(State(state): State<AppState>, posted: Posted<CannedInput>) -> Response {
    let Posted { signed, form } = posted;
    saved(
        &state,
        &signed,
        canned::save(&state.db, &signed.principal, None, form, now()).await,
    )
    .await
}

/// Changes a canned reply.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<CannedInput>,
) -> Response {
    let Posted { signed, form } = posted;
    let Ok(id) = id.parse::<i64>() else {
        return show(
            &state,
            &signed,
            StatusCode::NOT_FOUND,
            Some("No existe esa respuesta.".into()),
        )
        .await;
    };
    let result = canned::save(&state.db, &signed.principal, Some(id), form, now()).await;
    saved(&state, &signed, result).await
}

async fn saved<T>(state: &AppState, signed: &Signed, result: Result<T, ApiError>) -> Response {
    match result {
        Ok(_) => Redirect::to(CANNED_PATH).into_response(),
        Err(error @ ApiError::Client { .. }) => {
            show(state, signed, error.status(), Some(spanish(&error))).await
        }
        Err(error) => error.into_response(),
    }
}
