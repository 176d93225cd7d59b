//! `helpdesk_event`: the append-only log of a ticket's transitions.
use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::helpdesk_vocabulary::{EventKind, N2Unit, TicketLevel, TicketState};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "helpdesk_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: i64,
    pub at: DateTimeUtc,
    /// No one: a scheduled job.
    pub actor_id: Option<i64>,
    /// What the entry records, stored as its snake_case code.
    pub kind: EventKind,
    pub from_state: Option<TicketState>,
    pub to_state: TicketState,
    /// The level after the event.
    pub level: TicketLevel,
    /// The N2 stage after the event (at N2 only).
    pub n2_unit: Option<N2Unit>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
