//! A person's saved views of the queue: a name and the filters' query string, offered as links
//! above the queue. Saving a name again replaces its filters; a person keeps at most
//! [`MAX_VIEWS`].

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::Deserialize;

use entity::console_view;

use super::{
    layout::{QUEUE_PATH, message_page},
    queue_filters::Filters,
    session::{Posted, Signed},
    staff::is_help_desk,
};
use crate::{error::ApiError, state::AppState, time::now};

/// The most views a person keeps.
pub const MAX_VIEWS: u64 = 20;

/// A person's views, by name in Spanish order.
pub async fn of(state: &AppState, user_id: i64) -> Result<Vec<console_view::Model>, ApiError> {
    let mut views = console_view::Entity::find()
        .filter(console_view::Column::UserId.eq(user_id))
        .order_by_asc(console_view::Column::Id)
        .all(&state.db)
        .await?;
    views.sort_by_cached_key(|v| crate::domain::spanish_key(&v.name));
    Ok(views)
}

/// What the "save this view" form sends.
#[derive(Debug, Default, Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

fn refused(signed: &Signed, status: StatusCode, text: &str) -> Response {
    message_page(
        status,
        Some(&signed.person()),
        "No se guardó la vista",
        text,
    )
}

/// Saves the queue's current filters under a name (replacing a view of the same name).
pub async fn save(State(state): State<AppState>, posted: Posted<SaveForm>) -> Response {
    let Posted { signed, form } = posted;
    if !is_help_desk(&signed) {
        return refused(
            &signed,
            StatusCode::FORBIDDEN,
            "La mesa de ayuda es solo para su personal.",
        );
    }
    let name: String = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 60 {
        return refused(
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Dé a la vista un nombre de 1 a 60 caracteres.",
        );
    }
    // Only filters the queue accepts are kept, written again in their own order.
    let query = match Filters::parse(Some(&form.query)) {
        Ok(filters) => filters.query(None),
        Err(message) => return refused(&signed, StatusCode::UNPROCESSABLE_ENTITY, &message),
    };
    let back = format!("{QUEUE_PATH}?{query}");
    match store(&state, signed.principal.user_id, name, query).await {
        Ok(true) => Redirect::to(&back).into_response(),
        Ok(false) => refused(
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("Puede guardar hasta {MAX_VIEWS} vistas: borre alguna antes."),
        ),
        Err(error) => error.into_response(),
    }
}

/// Writes the view; `false` when the person already keeps the most views.
async fn store(
    state: &AppState,
    user_id: i64,
    name: String,
    query: String,
) -> Result<bool, ApiError> {
    use console_view::Column as V;
    let existing = console_view::Entity::find()
        .filter(V::UserId.eq(user_id))
        .filter(V::Name.eq(name.clone()))
        .one(&state.db)
        .await?;
    if let Some(view) = existing {
        let mut view: console_view::ActiveModel = view.into();
        view.query = Set(query);
        view.update(&state.db).await?;
        return Ok(true);
    }
    let count = console_view::Entity::find()
        .filter(V::UserId.eq(user_id))
        .count(&state.db)
        .await?;
    if count >= MAX_VIEWS {
        return Ok(false);
    }
    console_view::ActiveModel {
        user_id: Set(user_id),
        name: Set(name),
        query: Set(query),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok(true)
}

/// Deletes one of the person's views (another person's is not found).
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted<SaveForm>,
) -> Response {
    let signed = posted.signed;
    let Ok(id) = id.parse::<i64>() else {
        return Redirect::to(QUEUE_PATH).into_response();
    };
    let deleted = console_view::Entity::delete_many()
        .filter(console_view::Column::Id.eq(id))
        .filter(console_view::Column::UserId.eq(signed.principal.user_id))
        .exec(&state.db)
        .await;
    match deleted {
        Ok(_) => Redirect::to(QUEUE_PATH).into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}
