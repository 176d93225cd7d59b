//! Attendance: marks from tablets and the web, the monthly register of docs/domain.md §3 with its
//! states, closure, held marks and exceptional modification.

pub mod calendar;
pub mod cells;
pub mod closure;
pub mod codes;
pub mod coverage;
pub mod engine;
pub mod enrolled;
pub mod export;
pub mod modification;
pub mod overview;
pub mod pdf;
pub mod places;
pub mod progress;
pub mod register;
mod routes;
pub mod scope;
mod store;
pub mod taught;

pub use routes::router;
