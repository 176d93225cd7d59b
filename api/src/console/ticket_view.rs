//! What the help desk's and the requester's ticket pages share: the ticket as the templates read
//! it (conversation, event log, clocks, attachments), the labels, and the attachment download.

use axum::{
    body::Body,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use minijinja::context;

use entity::helpdesk_vocabulary::EventKind;

use super::{layout::message_page, session::Signed};
use crate::{
    error::ApiError,
    helpdesk::{dto::TicketView, tickets},
    state::AppState,
    time::LIMA,
};

/// An instant as the pages show it: Lima's day and time.
pub fn lima(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string()
}

/// The newest message or event of a ticket, as a page remembers it to notice what others did
/// after it loaded.
pub fn seen(t: &TicketView) -> String {
    let message = t.messages.iter().map(|m| m.id).max().unwrap_or_default();
    format!("{message}-{}", t.events.len())
}

/// What the templates read of a ticket; `attachments` is the path its files download from.
pub fn view(t: &TicketView, attachments: &str) -> minijinja::Value {
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
    let files: Vec<minijinja::Value> = t
        .attachments
        .iter()
        .map(|a| {
            context! {
                name => &a.name,
                href => format!("{attachments}/{}", a.id),
                size => format!("{:.0} KB", (a.size as f64 / 1024.0).ceil()),
            }
        })
        .collect();
    context! {
        id => t.id,
        number => &t.number,
        state => t.state_label,
        state_code => t.state.code(),
        open => t.state.is_open(),
        level => t.level_label,
        level_number => t.level,
        priority => t.priority_label,
        impact => t.impact.code(),
        urgency => t.urgency.code(),
        topic => &t.topic.name,
        requester => &t.requester,
        school => &t.school,
        codigo_modular => &t.codigo_modular,
        comment => &t.comment,
        resolution => &t.resolution,
        merged_into => &t.merged_into,
        rating => t.rating,
        assigned => t.assignee_id.is_some(),
        can_work => t.can_work,
        seen => seen(t),
        messages,
        events,
        clocks,
        files,
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

/// An error's words for a page: its message and what each field needs.
pub fn spanish(error: &ApiError) -> String {
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

/// A ticket's file, for whoever reads the ticket (the same service as the API's download);
/// not found otherwise.
pub async fn download(state: &AppState, signed: &Signed, id: &str, attachment: &str) -> Response {
    let (Ok(id), Ok(attachment)) = (id.parse::<i64>(), attachment.parse::<i64>()) else {
        return gone(signed);
    };
    let found = tickets::attachment(
        &state.db,
        &state.config.storage.data_dir,
        &signed.principal,
        id,
        attachment,
    )
    .await;
    match found {
        Ok((bytes, content_type, _)) => (
            [
                (header::CONTENT_TYPE, content_type.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"adjunto-{attachment}\""),
                ),
            ],
            Body::from(bytes),
        )
            .into_response(),
        Err(ApiError::Client { .. }) => gone(signed),
        Err(error) => error.into_response(),
    }
}

fn gone(signed: &Signed) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        Some(&signed.person()),
        "Archivo no encontrado",
        "No existe ese archivo adjunto, o no está a su alcance.",
    )
}
