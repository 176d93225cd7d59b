//! HTTP surface of the help desk: each handler extracts, calls one service and answers.

mod calendar;
mod knowledge;
mod reports;
mod steps;
mod tickets;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every route of the help desk.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(tickets::router())
        .merge(steps::router())
        .merge(knowledge::router())
        .merge(calendar::router())
        .merge(reports::router())
}
