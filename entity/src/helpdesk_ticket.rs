//! `helpdesk_ticket`: a case of the help desk (mesa de ayuda ISOS), filed through the help form.
use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::helpdesk_vocabulary::{N2Unit, Priority, Severity, TicketLevel, TicketState};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "helpdesk_ticket")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `ISOS-2026-000123`.
    #[sea_orm(unique)]
    pub number: String,
    /// The account that filed it.
    pub requester_id: i64,
    pub school_id: Option<i64>,
    pub ugel_id: Option<i64>,
    pub dre_id: Option<i64>,
    pub codigo_modular: Option<String>,
    /// The IE's e-mail.
    pub email: String,
    pub cell_phone: String,
    pub extension: Option<String>,
    pub topic_id: i64,
    #[sea_orm(column_type = "Text")]
    pub comment: String,
    pub error_code: Option<String>,
    pub request_id: Option<String>,
    pub state: TicketState,
    pub level: TicketLevel,
    /// The highest level the ticket has been at.
    pub reached_level: TicketLevel,
    /// At N2: whether the UGEL's or the DRE's specialist works it (none at N1 and N3).
    pub n2_unit: Option<N2Unit>,
    /// The ticket has been at the UGEL's N2 stage (its specialist keeps reading it).
    pub reached_ugel: bool,
    /// The ticket has been at the DRE's N2 stage (its specialist keeps reading it).
    pub reached_dre: bool,
    pub assignee_id: Option<i64>,
    /// The agent of the Central de Atención who keeps the case.
    pub owner_id: Option<i64>,
    pub impact: Severity,
    pub urgency: Severity,
    pub priority: Priority,
    #[sea_orm(column_type = "Text", nullable)]
    pub resolution: Option<String>,
    pub merged_into: Option<i64>,
    pub rating: Option<i16>,
    #[sea_orm(column_type = "Text", nullable)]
    pub rating_comment: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the ticket reached its current level.
    pub level_since: DateTimeUtc,
    pub first_response_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    /// The SLA warnings already given at the current level (see `helpdesk::sla_job`).
    pub sla_notified: i16,
    /// The `level_since` those warnings belong to: at a new level they start again.
    pub sla_notified_since: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
