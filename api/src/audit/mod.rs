//! Reading the append-only audit trail: who did what, when, in which unit, with before and after.
//! Events are written by [`crate::record`], in the transaction of the write they describe.

mod routes;
pub mod trail;

pub use routes::router;
