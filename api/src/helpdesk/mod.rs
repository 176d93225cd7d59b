//! The help desk (mesa de ayuda ISOS): tickets filed through the help form, worked at three levels
//! by jurisdiction (N1 the Central de Atención, N2 the Especialista SIAGIE of the requester's UGEL
//! and then of its DRE, N3 the Especialista SIAGIE MINEDU), their conversation, SLA clocks in
//! working time, the knowledge base they feed, and reports.

pub mod access;
pub mod availability;
pub mod calendar;
pub mod canned;
pub mod conversation;
pub mod dto;
pub mod knowledge;
pub mod links;
pub mod mail;
pub mod presence;
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

pub use routes::router;

/// Settings of the help desk, typed and checked with the rest of the configuration.
pub use crate::config::HelpdeskConfig;
