//! The requester's pages (`/consola/mis-tickets`): the help form as a page, with the articles that
//! may answer the question before it is filed (as one types with JavaScript, after "Buscar"
//! without it); the person's tickets; and a ticket's page to reply, close, reopen and rate. The
//! same services as `POST /helpdesk/tickets`, `GET /helpdesk/tickets?view=filed` and the steps.

use axum::{
    extract::{Multipart, Path, Query, RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::context;
use sea_orm::EntityTrait;
use serde::Deserialize;

use entity::person;

use super::{
    layout::{message_page, render, render_wide},
    session::{Posted, Signed, forbidden, same},
    ticket_view::{self, lima, spanish},
};
use crate::{
    error::ApiError,
    helpdesk::{
        conversation,
        dto::{NewMessage, SearchQuery, TicketFilter, TicketForm},
        knowledge,
        links::{self, REQUESTER_PATH},
        tickets,
        workflow::{self, Step},
    },
    state::AppState,
    time::now,
};

/// The help form's page.
pub const NEW_PATH: &str = "/consola/mis-tickets/nuevo";

/// The person's tickets, newest first, in keyset pages.
pub async fn mine(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Response {
    let before = q
        .as_deref()
        .and_then(|q| q.strip_prefix("antes="))
        .and_then(|v| v.parse().ok());
    let filter = TicketFilter {
        view: Some("filed".into()),
        before,
        limit: Some(25),
        ..TicketFilter::default()
    };
    let page = match tickets::list(
        &state.db,
        &state.config.helpdesk,
        &signed.principal,
        filter,
        now(),
    )
    .await
    {
        Ok(page) => page,
        Err(error) => return error.into_response(),
    };
    let rows: Vec<minijinja::Value> = page
        .items
        .iter()
        .map(|t| {
            context! {
                number => &t.number,
                href => links::requester_ticket(t.id),
                topic => &t.topic,
                subject => &t.subject,
                state => t.state_label,
                at => lima(t.created_at),
            }
        })
        .collect();
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Mis consultas",
        "console_my_tickets.html",
        context! {
            rows,
            new => NEW_PATH,
            next => page.next_before.map(|b| format!("{REQUESTER_PATH}?antes={b}")),
        },
    )
}

/// What the help form's page keeps between a search and the filing: what the person typed.
#[derive(Debug, Default, Deserialize)]
pub struct Typed {
    #[serde(default)]
    topic: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    cell_phone: String,
    #[serde(default)]
    extension: String,
    #[serde(default)]
    codigo_modular: String,
}

/// The help form, with the articles that match what was typed (the "Buscar" button sends the
/// form here by GET; with JavaScript, the list refreshes as one types).
pub async fn form(
    State(state): State<AppState>,
    signed: Signed,
    Query(typed): Query<Typed>,
) -> Response {
    new_page(&state, &signed, StatusCode::OK, typed, None).await
}

async fn new_page(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    mut typed: Typed,
    error: Option<String>,
) -> Response {
    let topics = match tickets::topics(&state.db, &signed.principal).await {
        Ok(topics) => topics,
        Err(error) => return error.into_response(),
    };
    if typed.email.is_empty()
        && typed.cell_phone.is_empty()
        && let Ok(Some(me)) = person::Entity::find_by_id(signed.principal.person_id)
            .one(&state.db)
            .await
    {
        typed.email = me.email.unwrap_or_default();
        typed.cell_phone = me.cell_phone.unwrap_or_default();
    }
    let suggestions = suggestions(state, signed, &typed.comment).await;
    let topics: Vec<minijinja::Value> = topics
        .into_iter()
        .filter(|t| t.active)
        .map(|t| context! { selected => t.code == typed.topic, code => t.code, name => t.name })
        .collect();
    render(
        status,
        Some(&signed.person()),
        "Registrar una consulta",
        "console_new_ticket.html",
        context! {
            action => NEW_PATH,
            csrf => &signed.csrf,
            topics,
            suggestions,
            searched => !typed.comment.trim().is_empty(),
            error,
            comment => typed.comment,
            email => typed.email,
            cell_phone => typed.cell_phone,
            extension => typed.extension,
            codigo_modular => typed.codigo_modular,
            mine => REQUESTER_PATH,
        },
    )
}

/// Published articles that match the question, best first (none for fewer than two letters).
async fn suggestions(state: &AppState, signed: &Signed, text: &str) -> Vec<minijinja::Value> {
    if text.trim().chars().count() < 2 {
        return Vec::new();
    }
    let query = SearchQuery {
        q: Some(text.chars().take(200).collect()),
        state: None,
        limit: Some(5),
    };
    // Suggestions are an aid: a text that makes no query has none, and a failure is logged
    // while the form still works.
    let found = match knowledge::search(&state.db, &signed.principal, query).await {
        Ok(found) => found,
        Err(ApiError::Client { .. }) => Vec::new(),
        Err(error) => {
            tracing::error!(error = %error, "article suggestions failed");
            Vec::new()
        }
    };
    found
        .into_iter()
        .map(|a| {
            context! {
                title => a.title,
                snippet => a.snippet,
                href => format!("{}/{}?desde=consulta", links::ARTICLES_PATH, a.id),
            }
        })
        .collect()
}

/// Files the ticket (multipart, with its files), then its page. The form token comes in the
/// form's address, so that the "Buscar" button (the same form sent by GET) never puts it in one.
pub async fn file(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
    multipart: Multipart,
) -> Response {
    let in_address = token_in(query.as_deref());
    // The page's form carries its token in the address: a wrong one is refused before the body
    // (and its files) is read.
    if in_address
        .as_deref()
        .is_some_and(|t| !same(t, &signed.csrf))
    {
        return forbidden(Some(&signed));
    }
    let read = tickets::read_multipart(multipart, &["csrf"]).await;
    let (form, uploads, extras) = match read {
        Ok(read) => read,
        Err(error) => {
            return new_page(
                &state,
                &signed,
                error.status(),
                Typed::default(),
                Some(spanish(&error)),
            )
            .await;
        }
    };
    let token = in_address.as_deref().or_else(|| {
        extras
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str())
    });
    if !token.is_some_and(|t| same(t, &signed.csrf)) {
        return forbidden(Some(&signed));
    }
    let typed = typed_of(&form);
    match tickets::file(&state, &signed.principal, form, uploads, now()).await {
        Ok(ticket) => Redirect::to(&format!(
            "{}?hecho=registrado",
            links::requester_ticket(ticket.id)
        ))
        .into_response(),
        Err(error @ ApiError::Client { .. }) => {
            new_page(
                &state,
                &signed,
                error.status(),
                typed,
                Some(spanish(&error)),
            )
            .await
        }
        Err(error) => error.into_response(),
    }
}

fn typed_of(form: &TicketForm) -> Typed {
    let get = |v: &Option<String>| v.clone().unwrap_or_default();
    Typed {
        topic: get(&form.topic),
        comment: get(&form.comment),
        email: get(&form.email),
        cell_phone: get(&form.cell_phone),
        extension: get(&form.extension),
        codigo_modular: get(&form.codigo_modular),
    }
}

/// What the requester's ticket page says once a form was sent.
const DONE: &[(&str, &str)] = &[
    (
        "registrado",
        "Registramos su consulta. Le avisaremos por correo cada vez que la mesa de ayuda le responda.",
    ),
    ("responder", "Respuesta enviada a la mesa de ayuda."),
    ("cerrar", "Ticket cerrado. Gracias por confirmar."),
    (
        "reabrir",
        "Ticket reabierto: la mesa de ayuda retomará la atención.",
    ),
    ("calificar", "Gracias por calificar la atención."),
];

#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    hecho: Option<String>,
}

/// A ticket the person filed; 404 for any other.
pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(flash): Query<Flash>,
) -> Response {
    let Ok(id) = id.parse() else {
        return not_found(&signed);
    };
    let done = flash
        .hecho
        .and_then(|c| DONE.iter().find(|(k, _)| *k == c).map(|(_, m)| *m));
    ticket_page(&state, &signed, id, StatusCode::OK, done, None).await
}

/// A file of one of the person's tickets.
pub async fn attachment(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    ticket_view::download(&state, &signed, &id, &file).await
}

fn not_found(signed: &Signed) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        Some(&signed.person()),
        "Ticket no encontrado",
        "No existe una consulta suya con ese número.",
    )
}

async fn ticket_page(
    state: &AppState,
    signed: &Signed,
    id: i64,
    status: StatusCode,
    done: Option<&str>,
    error: Option<String>,
) -> Response {
    match is_mine(state, signed, id).await {
        Ok(true) => {}
        Ok(false) => return not_found(signed),
        Err(error) => return error.into_response(),
    }
    let ticket = match tickets::read(state, &signed.principal, id, now()).await {
        Ok(ticket) => ticket,
        Err(ApiError::Client { .. }) => return not_found(signed),
        Err(error) => return error.into_response(),
    };
    let path = links::requester_ticket(id);
    let reopenable = matches!(ticket.state.code(), "resuelto" | "cerrado");
    render_wide(
        status,
        Some(&signed.person()),
        &format!("Consulta {}", ticket.number),
        "console_my_ticket.html",
        context! {
            back => REQUESTER_PATH,
            action => &path,
            csrf => &signed.csrf,
            done,
            error,
            can_reply => ticket.state.is_open(),
            can_close => ticket.state.code() == "resuelto",
            can_reopen => reopenable,
            can_rate => reopenable && ticket.rating.is_none(),
            ..ticket_view::view(&ticket, &format!("{path}/adjuntos"))
        },
    )
}

/// The requester's reply, with up to three files (`multipart/form-data`; the form token in the
/// form's address, as the help form's).
pub async fn reply(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    multipart: Multipart,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let in_address = token_in(query.as_deref());
    if in_address
        .as_deref()
        .is_some_and(|t| !same(t, &signed.csrf))
    {
        return forbidden(Some(&signed));
    }
    let read = tickets::read_parts(multipart).await;
    let token = in_address.or_else(|| {
        read.as_ref()
            .ok()
            .and_then(|(fields, _)| fields.iter().find(|(k, _)| k == "csrf"))
            .map(|(_, v)| v.clone())
    });
    if !token.is_some_and(|t| same(&t, &signed.csrf)) {
        return forbidden(Some(&signed));
    }
    match is_mine(&state, &signed, id).await {
        Ok(true) => {}
        Ok(false) => return not_found(&signed),
        Err(error) => return error.into_response(),
    }
    let result = match read {
        Ok((fields, files)) => {
            let body = fields
                .into_iter()
                .find(|(k, _)| k == "text")
                .map(|(_, v)| v)
                .unwrap_or_default();
            let input = NewMessage {
                body,
                internal: false,
            };
            conversation::post_with_files(&state, &signed.principal, id, input, files, now()).await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => Redirect::to(&format!("{}?hecho=responder", links::requester_ticket(id)))
            .into_response(),
        Err(error @ ApiError::Client { .. }) => {
            let status = error.status();
            ticket_page(&state, &signed, id, status, None, Some(spanish(&error))).await
        }
        Err(error) => error.into_response(),
    }
}

/// The form token a multipart form carries in its address.
fn token_in(query: Option<&str>) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query?)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v)
}

/// Whether the person filed the ticket (any other, or none, is not found to these pages).
async fn is_mine(state: &AppState, signed: &Signed, id: i64) -> Result<bool, ApiError> {
    match tickets::load(&state.db, &signed.principal, id).await {
        Ok((_, access)) => Ok(access.requester),
        Err(ApiError::Client { .. }) => Ok(false),
        Err(error) => Err(error),
    }
}

/// What the requester's forms send.
#[derive(Debug, Default, Deserialize)]
pub struct RequesterForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    score: String,
}

/// A form of the requester's page: reply, close, reopen or rate.
pub async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    posted: Posted<RequesterForm>,
) -> Response {
    let Posted { signed, form } = posted;
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let p = &signed.principal;
    let at = now();
    // Only the requester's own tickets: the help desk answers from its own pages.
    match is_mine(&state, &signed, id).await {
        Ok(true) => {}
        Ok(false) => return not_found(&signed),
        Err(error) => return error.into_response(),
    }
    let result = match action.as_str() {
        "cerrar" => workflow::apply(&state, p, id, Step::Close, at).await,
        "reabrir" => workflow::apply(&state, p, id, Step::Reopen(form.text), at).await,
        "calificar" => {
            let score = form.score.parse().unwrap_or_default();
            let comment = Some(form.text).filter(|c| !c.trim().is_empty());
            workflow::apply(&state, p, id, Step::Rate { score, comment }, at).await
        }
        _ => return not_found(&signed),
    };
    match result {
        Ok(_) => {
            Redirect::to(&format!("{}?hecho={action}", links::requester_ticket(id))).into_response()
        }
        Err(error @ ApiError::Client { .. }) => {
            let status = error.status();
            ticket_page(&state, &signed, id, status, None, Some(spanish(&error))).await
        }
        Err(error) => error.into_response(),
    }
}
