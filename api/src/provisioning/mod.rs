//! Altas y bajas (seed 002): requests to give or end a role, approved or rejected by the authority
//! the seed names, with credentials shown once for a new account; manager password resets.

mod accounts;
mod decisions;
mod dto;
pub mod files;
mod pdf_check;
mod requests;
mod routes;

pub use routes::router;
