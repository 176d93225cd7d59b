//! A ticket's page (`/consola/mesa-de-ayuda/tickets/{id}`): the conversation with the internal
//! notes set apart, the event log and the SLA clocks, from the service `GET /helpdesk/tickets/{id}`
//! calls; and its forms (reply, internal note, take, escalate, resolve), each calling the service
//! of the API's step, then back to the page (303) with what was done.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::context;
use serde::Deserialize;

use entity::helpdesk_vocabulary::EventKind;

use super::{
    helpdesk_queue::is_help_desk,
    layout::{QUEUE_PATH, message_page, render_wide},
    session::{Posted, Signed},
};
use crate::{
    error::ApiError,
    helpdesk::{
        conversation,
        dto::{NewMessage, TicketView},
        tickets,
        workflow::{self, Step},
    },
    state::AppState,
    time::{LIMA, now},
};

/// The forms of a ticket's page, by the last segment of the path they post to.
const ACTIONS: &[(&str, &str)] = &[
    ("responder", "Respuesta enviada al usuario."),
    ("nota", "Nota interna agregada."),
    ("tomar", "Ticket tomado: ahora lo atiende usted."),
    ("escalar", "Ticket escalado al siguiente nivel."),
    (
        "resolver",
        "Ticket resuelto: se envió la solución al usuario.",
    ),
];

/// The page's address.
fn ticket_path(id: i64) -> String {
    format!("{QUEUE_PATH}/tickets/{id}")
}

#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    hecho: Option<String>,
}

/// The ticket, for the help desk that reaches it; 404 otherwise, saying nothing of it.
pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(flash): Query<Flash>,
) -> Response {
    let Some(id) = allowed(&signed, &id) else {
        return not_found(&signed);
    };
    let done = flash
        .hecho
        .and_then(|code| ACTIONS.iter().find(|(c, _)| *c == code).map(|(_, m)| *m));
    page(&state, &signed, id, StatusCode::OK, done, None).await
}

/// The ticket's id from the path, for a person of the help desk.
fn allowed(signed: &Signed, id: &str) -> Option<i64> {
    if !is_help_desk(signed) {
        return None;
    }
    id.parse().ok().filter(|id: &i64| *id > 0)
}

fn not_found(signed: &Signed) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        Some(&signed.person()),
        "Ticket no encontrado",
        "No existe un ticket con ese número en su bandeja.",
    )
}

/// The page, with a message of what was done or of what went wrong.
async fn page(
    state: &AppState,
    signed: &Signed,
    id: i64,
    status: StatusCode,
    done: Option<&str>,
    error: Option<String>,
) -> Response {
    let ticket = match tickets::read(state, &signed.principal, id, now()).await {
        Ok(ticket) => ticket,
        Err(ApiError::Client { .. }) => return not_found(signed),
        Err(error) => return error.into_response(),
    };
    render_wide(
        status,
        Some(&signed.person()),
        &format!("Ticket {}", ticket.number),
        "console_ticket.html",
        context! {
            queue => QUEUE_PATH,
            action => ticket_path(id),
            csrf => &signed.csrf,
            done,
            error,
            mine => ticket.assignee_id == Some(signed.principal.user_id),
            ..view(&ticket)
        },
    )
}

fn lima(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string()
}

/// What the template reads of a ticket.
fn view(t: &TicketView) -> minijinja::Value {
    let messages: Vec<minijinja::Value> = t
        .messages
        .iter()
        .map(|m| {
            context! {
                author => &m.author,
                from_requester => m.from_requester,
                internal => m.internal,
                body => &m.body,
                at => lima(m.created_at),
            }
        })
        .collect();
    let events: Vec<minijinja::Value> = t
        .events
        .iter()
        .map(|e| {
            context! {
                at => lima(e.at),
                kind => event_label(e.kind),
                from => e.from_state.map(|s| s.label()),
                to => e.to_state.label(),
                level => e.level,
                reason => &e.reason,
            }
        })
        .collect();
    let clocks: Vec<minijinja::Value> = t
        .sla
        .iter()
        .map(|c| {
            context! {
                target => if c.target == "first_response" { "Primera respuesta" } else { "Resolución" },
                due => lima(c.due_at),
                status => clock_status(c.status),
                class => match c.status {
                    "vencido" | "incumplido" => "bad",
                    "por_vencer" | "pausado" => "warn",
                    _ => "ok",
                },
            }
        })
        .collect();
    context! {
        number => &t.number,
        state => t.state_label,
        open => t.state.is_open(),
        level => t.level_label,
        priority => t.priority_label,
        topic => &t.topic.name,
        requester => &t.requester,
        school => &t.school,
        codigo_modular => &t.codigo_modular,
        comment => &t.comment,
        resolution => &t.resolution,
        assigned => t.assignee_id.is_some(),
        can_work => t.can_work,
        messages,
        events,
        clocks,
    }
}

fn clock_status(code: &str) -> &'static str {
    match code {
        "en_plazo" => "En plazo",
        "por_vencer" => "Por vencer",
        "vencido" => "Vencido",
        "cumplido" => "Cumplido",
        "incumplido" => "Incumplido",
        "pausado" => "Pausado: se espera al usuario",
        _ => "—",
    }
}

fn event_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Filed => "Registrado",
        EventKind::Taken => "Tomado",
        EventKind::Assigned => "Asignado",
        EventKind::Waiting => "Consulta al usuario",
        EventKind::Replied => "Respuesta",
        EventKind::Escalated => "Escalado",
        EventKind::Returned => "Devuelto",
        EventKind::Resolved => "Resuelto",
        EventKind::Closed => "Cerrado",
        EventKind::Reopened => "Reabierto",
        EventKind::Merged => "Fusionado",
        EventKind::Annulled => "Anulado",
        EventKind::Priority => "Prioridad cambiada",
        EventKind::Rated => "Calificado",
    }
}

/// What the forms send: the text of a reply or note, the reason of an escalation, the resolution.
#[derive(Debug, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    text: String,
}

/// A form of the page: the API's step, then back to the page.
pub async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    posted: Posted<StepForm>,
) -> Response {
    let Posted { signed, form } = posted;
    let Some(id) = allowed(&signed, &id) else {
        return not_found(&signed);
    };
    let text = form.text;
    let at = now();
    let p = &signed.principal;
    let result = match action.as_str() {
        "responder" | "nota" => {
            let input = NewMessage {
                body: text,
                internal: action == "nota",
            };
            conversation::post(&state, p, id, input, at).await
        }
        "tomar" => workflow::apply(&state, p, id, Step::Take, at).await,
        "escalar" => workflow::apply(&state, p, id, Step::Escalate(text), at).await,
        "resolver" => workflow::apply(&state, p, id, Step::Resolve(text), at).await,
        _ => return not_found(&signed),
    };
    match result {
        Ok(_) => Redirect::to(&format!("{}?hecho={action}", ticket_path(id))).into_response(),
        Err(error @ ApiError::Client { .. }) => {
            let status = error.status();
            if status == StatusCode::NOT_FOUND {
                return not_found(&signed);
            }
            page(&state, &signed, id, status, None, Some(spanish(&error))).await
        }
        Err(error) => error.into_response(),
    }
}

/// An error's words for the page: its message and what each field needs.
fn spanish(error: &ApiError) -> String {
    match error {
        ApiError::Client {
            message, fields, ..
        } => {
            let mut text = message.to_string();
            for field in fields.iter().flat_map(|f| f.values()) {
                text.push(' ');
                text.push_str(field);
            }
            text
        }
        ApiError::Internal(_) => String::new(),
    }
}
