//! A ticket as the SLA job reads it: only what its clocks are measured from.

use chrono::{DateTime, Utc};
use sea_orm::FromQueryResult;

use entity::{
    helpdesk_ticket,
    helpdesk_vocabulary::{N2Unit, Priority, TicketLevel, TicketState},
};

/// What the clocks of a ticket are measured from.
#[derive(Debug, Clone, FromQueryResult)]
pub struct SlaTicket {
    pub id: i64,
    pub number: String,
    pub state: TicketState,
    pub level: TicketLevel,
    pub n2_unit: Option<N2Unit>,
    pub ugel_id: Option<i64>,
    pub dre_id: Option<i64>,
    pub priority: Priority,
    pub assignee_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub level_since: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub sla_notified: i16,
    pub sla_notified_since: Option<DateTime<Utc>>,
}

impl From<&helpdesk_ticket::Model> for SlaTicket {
    fn from(t: &helpdesk_ticket::Model) -> Self {
        Self {
            id: t.id,
            number: t.number.clone(),
            state: t.state,
            level: t.level,
            n2_unit: t.n2_unit,
            ugel_id: t.ugel_id,
            dre_id: t.dre_id,
            priority: t.priority,
            assignee_id: t.assignee_id,
            created_at: t.created_at,
            level_since: t.level_since,
            first_response_at: t.first_response_at,
            resolved_at: t.resolved_at,
            sla_notified: t.sla_notified,
            sla_notified_since: t.sla_notified_since,
        }
    }
}
