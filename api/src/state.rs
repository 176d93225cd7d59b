//! What every handler can reach.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{attendance::places::Places, auth::tokens::TokenKeys, config::Config};

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub tokens: Arc<TokenKeys>,
    /// Where sections sit, as read so far.
    pub places: Places,
}
