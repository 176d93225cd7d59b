//! The requester's e-mails about a ticket: the number in the subject, one thread per ticket.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use entity::{helpdesk_ticket, helpdesk_vocabulary::TicketState};

use crate::error::{ApiError, Result};

/// What the requester is told by e-mail.
#[derive(Debug)]
pub enum Notice {
    /// The ticket was filed: its number.
    Filed,
    /// A public reply of the help desk (its text).
    Reply(String),
    /// The help desk asks the requester (turned into a reply with the question).
    Question,
    /// The ticket was resolved: the resolution.
    Resolved,
}

/// Queues the requester's e-mail about a ticket, in the caller's transaction. Every e-mail of a
/// ticket names its number in the subject and belongs to one thread (Message-ID of the first,
/// References in the others).
pub async fn notify(
    db: &impl ConnectionTrait,
    ticket: &helpdesk_ticket::Model,
    notice: Notice,
    now: DateTime<Utc>,
) -> Result<()> {
    let (headline, body, root) = match notice {
        Notice::Filed => (
            "Registramos su consulta",
            "La Central de Atención la revisará y le responderá por este medio. Cite el número del ticket si llama por teléfono.".to_owned(),
            true,
        ),
        Notice::Reply(text) => ("Respuesta de la mesa de ayuda", text, false),
        Notice::Question => return Ok(()),
        Notice::Resolved => (
            "Su consulta fue resuelta",
            ticket.resolution.clone().unwrap_or_default(),
            false,
        ),
    };
    let mail = jobs::templates::Mail::new(
        "helpdesk_ticket",
        &serde_json::json!({
            "number": ticket.number,
            "headline": headline,
            "body": body,
            "state": ticket.state.label(),
            "resolved": ticket.state == TicketState::Resuelto,
            "thread": ticket.number,
            "thread_root": root,
        }),
    )
    .map_err(ApiError::Internal)?;
    jobs::outbox::enqueue(db, &ticket.email, mail, None, now).await?;
    Ok(())
}
