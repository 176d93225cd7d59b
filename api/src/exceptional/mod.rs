//! The exceptional modification of a closed record (docs/domain.md §3 and §7; Especialista SIAGIE
//! UGEL h), whether the record is a month's attendance register or a section's acta de
//! evaluación: one workflow ([`workflow`]) over one table, each kind of record supplying only what
//! differs ([`Reopenable`]: `attendance::modification`, `evaluation::modification`); the steps,
//! who takes them and who is told ([`steps`]).

pub mod steps;
mod view;
pub mod workflow;

pub use steps::{
    Enable, ModificationRequest, Opinion, Stage, deciders, deciders_but, decides_at, people_holding,
};
pub use view::{About, ModificationRequestView};
pub use workflow::{
    Actions, ModificationFilter, Reopenable, close_expired, close_open, enable, get_in_reach,
    give_opinion, list_in_reach, request, tell_dropped,
};
