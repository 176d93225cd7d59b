//! Bulk actions on a selection of the queue: assign them to oneself or to someone, set their
//! priority, answer them with a canned reply, or close them as duplicates of another ticket. Each
//! ticket goes through the same step as on its own page, on its own: the page lists what was done
//! to each one and why any was refused.

use axum::{extract::State, http::StatusCode, response::Response};
use minijinja::context;

use super::{
    layout::{QUEUE_PATH, message_page, render_wide},
    session::Posted,
    staff::is_help_desk,
    ticket_view::spanish,
};
use crate::{
    error::ApiError,
    helpdesk::{
        canned, links,
        workflow::{self, Step},
    },
    state::AppState,
    time::now,
};

/// The most tickets one bulk action takes (a page of the queue).
const MAX_SELECTED: usize = 50;

/// What a bulk action does to each ticket: a step of the workflow, or a canned reply.
enum Bulk {
    Step(Step),
    Canned(i64),
}

/// The bulk form's fields, as pairs (the selection repeats `ticket`).
pub async fn apply(
    State(state): State<AppState>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { signed, form } = posted;
    let person = signed.person();
    if !is_help_desk(&signed) {
        return message_page(
            StatusCode::FORBIDDEN,
            Some(&person),
            "Sin acceso",
            "La mesa de ayuda es para los agentes de la Central de Atención y los especialistas SIAGIE.",
        );
    }
    let value = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let mut selected: Vec<i64> = form
        .iter()
        .filter(|(k, _)| k == "ticket")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    selected.sort_unstable();
    selected.dedup();
    let refuse = |text: &str| {
        message_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&person),
            "No se aplicó la acción",
            text,
        )
    };
    if selected.is_empty() {
        return refuse("Elija al menos un ticket de la bandeja.");
    }
    if selected.len() > MAX_SELECTED {
        return refuse(&format!("Elija hasta {MAX_SELECTED} tickets a la vez."));
    }
    // The action and its fields are read once, before any ticket is touched.
    let action = match value("step").as_str() {
        "take" => Bulk::Step(Step::Take),
        "assign" => match value("assignee").parse() {
            Ok(user) => Bulk::Step(Step::Assign(Some(user))),
            Err(_) => return refuse("Elija a quién asignar los tickets."),
        },
        "priority" => Bulk::Step(Step::Priority {
            impact: value("impact"),
            urgency: value("urgency"),
            reason: value("reason"),
        }),
        "canned" => match value("canned").parse() {
            Ok(reply) => Bulk::Canned(reply),
            Err(_) => return refuse("Elija una respuesta predefinida."),
        },
        "merge" => Bulk::Step(Step::Merge {
            into: value("into").to_uppercase(),
            reason: value("reason"),
        }),
        _ => return refuse("Elija una acción."),
    };
    let p = &signed.principal;
    let mut results = Vec::new();
    for id in selected {
        let at = now();
        let outcome = match &action {
            Bulk::Step(step) => workflow::apply(&state, p, id, step.clone(), at).await,
            Bulk::Canned(reply) => canned::send(&state, p, id, *reply, at).await,
        };
        results.push(match outcome {
            Ok(ticket) => context! {
                number => ticket.number,
                href => links::staff_ticket(id),
                ok => true,
                text => ticket.state_label,
            },
            Err(error @ ApiError::Client { .. }) => context! {
                number => format!("Ticket {id}"),
                href => links::staff_ticket(id),
                ok => false,
                text => spanish(&error),
            },
            Err(error) => return axum::response::IntoResponse::into_response(error),
        });
    }
    let done = results
        .iter()
        .filter(|r| r.get_attr("ok").is_ok_and(|v| v.is_true()))
        .count();
    render_wide(
        StatusCode::OK,
        Some(&person),
        "Acción en lote",
        "console_bulk.html",
        context! { results, done, total => results.len(), queue => QUEUE_PATH },
    )
}
