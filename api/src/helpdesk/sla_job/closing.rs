//! The SLA job's closing of resolved tickets the requester did not confirm in time.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::{
    helpdesk_ticket,
    helpdesk_vocabulary::{EventKind, TicketState},
};

use crate::{
    helpdesk::{HelpdeskConfig, sla::Calendar},
    record::{AuditAction, Change, Event, TicketStep, record},
};

/// Closes the resolved tickets the requester did not confirm within the configured working days;
/// as working time never outruns the wall, older ones are the only candidates. Answers how many.
pub(super) async fn close_unconfirmed(
    db: &impl ConnectionTrait,
    config: &HelpdeskConfig,
    national: &Calendar,
    at: DateTime<Utc>,
) -> anyhow::Result<usize> {
    use helpdesk_ticket::Column as T;
    let (opens, closes) = config.hours();
    let day = (closes - opens).num_seconds().max(1);
    let wait = config.close_after_working_days * day;
    let resolved = helpdesk_ticket::Entity::find()
        .filter(T::State.eq(TicketState::Resuelto))
        .filter(T::ResolvedAt.lte(at - chrono::Duration::seconds(wait)))
        .all(db)
        .await?;
    let mut closed = 0;
    for ticket in resolved {
        let Some(resolved_at) = ticket.resolved_at else {
            continue;
        };
        if national.working_secs(resolved_at, at) >= wait && close(db, ticket, at).await? {
            closed += 1;
        }
    }
    Ok(closed)
}

/// Closes one resolved ticket, with its log entry and audit event, only if it is still resolved:
/// a requester who reopened it meanwhile wins.
async fn close(
    db: &impl ConnectionTrait,
    ticket: helpdesk_ticket::Model,
    at: DateTime<Utc>,
) -> anyhow::Result<bool> {
    use helpdesk_ticket::Column as T;
    let id = ticket.id;
    let mut next: helpdesk_ticket::ActiveModel = ticket.into();
    next.state = Set(TicketState::Cerrado);
    next.closed_at = Set(Some(at));
    next.updated_at = Set(at);
    let written = helpdesk_ticket::Entity::update_many()
        .set(next)
        .filter(T::Id.eq(id))
        .filter(T::State.eq(TicketState::Resuelto))
        .exec(db)
        .await?;
    if written.rows_affected != 1 {
        return Ok(false);
    }
    let Some(saved) = helpdesk_ticket::Entity::find_by_id(id).one(db).await? else {
        return Ok(false);
    };
    record(
        db,
        Change::Ticket {
            ticket: &saved,
            step: Some(TicketStep::new(
                EventKind::Closed,
                None,
                Some(TicketState::Resuelto),
            )),
            event: Event::new(AuditAction::HelpdeskTicketChanged, saved.id)
                .in_unit(crate::helpdesk::access::target(&saved))
                .after(&serde_json::json!({"step": EventKind::Closed, "state": saved.state})),
            mail: Vec::new(),
            at,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(true)
}
