//! A help-desk ticket's own log (`helpdesk_event`): every step taken on a ticket appends an
//! entry, written after the change so that it names the state, level and N2 stage reached.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};

use entity::{
    helpdesk_event, helpdesk_ticket,
    helpdesk_vocabulary::{EventKind, TicketState},
};

use crate::error::Result;

/// A step of a ticket's log: what was done, by whom (no one: a scheduled job), from which state,
/// with which reason.
#[derive(Debug)]
pub struct TicketStep {
    pub kind: EventKind,
    pub actor: Option<i64>,
    pub from: Option<TicketState>,
    pub reason: Option<String>,
}

impl TicketStep {
    /// A step taken by `actor` (no one: a scheduled job) on a ticket that was in state `from`.
    pub fn new(kind: EventKind, actor: Option<i64>, from: Option<TicketState>) -> Self {
        Self {
            kind,
            actor,
            from,
            reason: None,
        }
    }

    /// The reason given for the step.
    pub fn because(mut self, reason: Option<String>) -> Self {
        self.reason = reason;
        self
    }
}

/// Appends a step to the log of `ticket`, as the ticket is after it, in the caller's transaction.
pub(super) async fn append(
    db: &impl ConnectionTrait,
    ticket: &helpdesk_ticket::Model,
    step: TicketStep,
    at: DateTime<Utc>,
) -> Result<()> {
    helpdesk_event::ActiveModel {
        ticket_id: Set(ticket.id),
        at: Set(at),
        actor_id: Set(step.actor),
        kind: Set(step.kind),
        from_state: Set(step.from),
        to_state: Set(ticket.state),
        level: Set(ticket.level),
        n2_unit: Set(ticket.n2_unit),
        reason: Set(step.reason),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
