//! The ticket's transitions, each allowed only to certain readers and written to the append-only
//! event log: taking and assigning (by hand or round-robin), asking the requester (the clock
//! pauses), escalating and returning between levels with a reason, resolving, the requester's
//! confirmation, reopening and rating, merging duplicates, annulling, and the priority.

mod stages;
mod steps;

use steps::Plan;
pub use steps::Step;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};

use entity::{helpdesk_message, helpdesk_ticket};

use super::{
    access::{self, Access},
    dto::TicketView,
    links::Links,
    mail::{self, Notice},
    tickets,
    transitions::{self, Actor},
};
use crate::{
    auth::Principal,
    error::Result,
    record::{AuditAction, Change, Event, TicketStep, record},
    state::AppState,
};

/// Takes a step on a ticket: the caller must reach it (404), be allowed the step (403), give
/// valid values (422) and find the ticket in a state that allows it (409, see
/// [`transitions`]). The change, its log entry, the audit event and the e-mails it causes are
/// recorded together.
pub async fn apply(
    state: &AppState,
    p: &Principal,
    id: i64,
    step: Step,
    now: DateTime<Utc>,
) -> Result<TicketView> {
    let config = &state.config.helpdesk;
    let (txn, ticket, access) = tickets::begin_on(&state.db, p, id).await?;
    let actor = Actor::from(&access);
    transitions::authorize(step.kind(), actor)?;
    let plan = steps::plan(&txn, config, p, &ticket, actor, step, now).await?;
    let (saved, plan) = write(&txn, p, &ticket, &access, plan, now).await?;
    let mail = mail::about(
        &txn,
        Links::new(&state.config.auth.public_base_url),
        &saved,
        plan.requester,
        plan.staff,
        p.user_id,
    )
    .await?;
    let event = Event::new(AuditAction::HelpdeskTicketChanged, saved.id)
        .by(p.user_id)
        .in_unit(access::target(&saved))
        .before(&serde_json::json!({"state": ticket.state, "level": ticket.level, "n2_unit": ticket.n2_unit}))
        .after(&serde_json::json!({"step": plan.kind, "state": saved.state, "level": saved.level, "n2_unit": saved.n2_unit}));
    let step = TicketStep::new(plan.kind, Some(p.user_id), Some(ticket.state)).because(plan.reason);
    record(
        &txn,
        Change::Ticket {
            ticket: &saved,
            step: Some(step),
            event,
            mail,
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    tickets::read_as(&state.db, config, p, &saved, now).await
}

/// Writes a planned step: the ticket if nobody changed it meanwhile, and the public message the
/// step posts (the help desk's first public word is its first response). Answers the ticket as
/// written, and the plan with a question turned into the reply the requester is sent.
async fn write(
    db: &impl ConnectionTrait,
    p: &Principal,
    ticket: &helpdesk_ticket::Model,
    access: &Access,
    mut plan: Plan,
    now: DateTime<Utc>,
) -> Result<(helpdesk_ticket::Model, Plan)> {
    let next = std::mem::take(&mut plan.next);
    let saved = tickets::write_if_unchanged(db, ticket, next).await?;
    let Some(body) = plan.message.clone() else {
        return Ok((saved, plan));
    };
    helpdesk_message::ActiveModel {
        ticket_id: Set(saved.id),
        author_id: Set(p.user_id),
        internal: Set(false),
        body: Set(body.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if !access.requester && saved.first_response_at.is_none() {
        let mut first: helpdesk_ticket::ActiveModel = saved.clone().into();
        first.first_response_at = Set(Some(now));
        first.update(db).await?;
    }
    if let Some(Notice::Question) = plan.requester {
        plan.requester = Some(Notice::Reply(body));
    }
    let saved = helpdesk_ticket::Entity::find_by_id(saved.id)
        .one(db)
        .await?
        .unwrap_or(saved);
    Ok((saved, plan))
}
