//! Tablet synchronisation, exactly as `shared/mobile-contract-v1.md` says: `GET /sync/pull` and
//! `POST /sync/push`.

mod answer;
pub mod ingest;
mod pull;
mod push;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(pull::pull))
        .routes(routes!(push::push))
}
