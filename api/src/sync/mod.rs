//! Tablet synchronisation, exactly as `docs/mobile-contract-v1.md` says: `GET /sync/pull` and
//! `POST /sync/push`.

mod answer;
mod binding;
pub mod ingest;
mod pull;
mod push;
mod routes;

pub use routes::router;
