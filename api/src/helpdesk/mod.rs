//! The help desk (mesa de ayuda ISOS): tickets filed through the help form, worked at three levels
//! by jurisdiction (N1 the Central de Atención, N2 the Especialista SIAGIE of the requester's UGEL
//! and then of its DRE, N3 the Especialista SIAGIE MINEDU), their conversation, SLA clocks in
//! working time, the knowledge base they feed, and reports.

pub mod access;
pub mod availability;
pub mod calendar;
pub mod conversation;
pub mod dto;
pub mod knowledge;
pub mod mail;
pub mod privacy;
pub mod reports;
pub mod routes;
pub mod routing;
pub mod rules;
pub mod sla;
pub mod sla_job;
pub mod tickets;
pub mod transitions;
pub mod workflow;

use chrono::NaiveTime;
use serde::Deserialize;

pub use routes::router;

/// Settings of the help desk (`[helpdesk]`, `SIAGIE_HELPDESK_*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HelpdeskConfig {
    /// When a working day starts, Lima time (`HH:MM`).
    pub opens: String,
    /// When a working day ends, Lima time (`HH:MM`).
    pub closes: String,
    /// Calendar days after its resolution during which the requester may reopen a ticket.
    pub reopen_days: i64,
    /// Working days a resolved ticket waits for the requester's confirmation before it closes.
    pub close_after_working_days: i64,
}

impl Default for HelpdeskConfig {
    fn default() -> Self {
        Self {
            opens: "08:00".into(),
            closes: "17:00".into(),
            reopen_days: 7,
            close_after_working_days: 3,
        }
    }
}

impl HelpdeskConfig {
    /// The working hours, read leniently: a wrong value keeps the default.
    pub fn hours(&self) -> (NaiveTime, NaiveTime) {
        let read = |value: &str, default: (u32, u32)| {
            NaiveTime::parse_from_str(value.trim(), "%H:%M")
                .unwrap_or(NaiveTime::from_hms_opt(default.0, default.1, 0).unwrap_or_default())
        };
        (read(&self.opens, (8, 0)), read(&self.closes, (17, 0)))
    }
}
