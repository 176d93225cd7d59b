//! The tablets of an IE: the director lists them and revokes a lost or stolen one, which ends its
//! sessions.

mod routes;
pub mod service;

pub use routes::router;
