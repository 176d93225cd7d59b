//! What every handler can reach.

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbBackend};
use secrecy::{ExposeSecret, SecretString};

use axum::extract::FromRef;

use crate::{
    attendance::places::Places, auth::tokens::TokenKeys, config::Config, record::AuditWriter,
    sync::ingest::Ingest,
};

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub tokens: Arc<TokenKeys>,
    /// Where sections sit, as read so far.
    pub places: Places,
    /// The writers of tablet batches.
    pub ingest: Ingest,
    /// The writers of audit events that are a write of their own (verifications).
    pub audit: AuditWriter,
    /// The bound on password checks of logins running at once.
    pub hashing: Arc<crate::auth::password::HashSlots>,
    /// The certificates' keys, address and limits.
    pub certificates: Arc<crate::certificates::service::Certificates>,
    /// The clock every request and job of this server reads.
    pub clock: crate::time::Clock,
}

impl AppState {
    /// The state of a server on `db`; starts the ingest and audit writers on the current runtime.
    pub fn new(
        db: DatabaseConnection,
        config: Config,
        jwt_secret: &SecretString,
        certificates: crate::certificates::service::Certificates,
        clock: crate::time::Clock,
    ) -> Self {
        let places = Places::default();
        let writers = match (config.database.ingest_writers, db.get_database_backend()) {
            (0, DbBackend::Sqlite) => 1,
            (0, _) => 2,
            (n, _) => n,
        };
        let audit_writers = match db.get_database_backend() {
            DbBackend::Sqlite => 1,
            _ => 2,
        };
        certificates.start_limits(&db, jwt_secret.expose_secret().as_bytes());
        Self {
            ingest: Ingest::start(db.clone(), places.clone(), writers),
            audit: AuditWriter::start(db.clone(), audit_writers),
            tokens: Arc::new(TokenKeys::new(
                jwt_secret,
                config.auth.access_token_ttl_secs,
            )),
            config: Arc::new(config),
            places,
            db,
            hashing: Arc::default(),
            certificates: Arc::new(certificates),
            clock,
        }
    }
}

impl FromRef<AppState> for DatabaseConnection {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

impl FromRef<AppState> for Arc<TokenKeys> {
    fn from_ref(state: &AppState) -> Self {
        state.tokens.clone()
    }
}
