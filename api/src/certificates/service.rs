//! What the certificates' handlers share, held in the application state: the signing keys, the
//! address the QR names, the limits on verifications and public requests, the status of
//! certificates held in memory and the published lists as last served.

use std::{
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use sea_orm::DatabaseConnection;

use super::{
    answer::VERIFY_PATH, published::Tagged, qr, signing::KeyRing, standing::Standing,
    throttle::Limiter,
};
use crate::config::{Config, ConfigError};

/// What the certificates' handlers share: the keys, the address the QR names, the limits.
#[derive(Debug)]
pub struct Certificates {
    pub ring: KeyRing,
    /// The public address, without a trailing slash.
    pub base_url: String,
    pub(super) verifications: Limiter,
    pub(super) requests_by_address: Limiter,
    pub(super) requests_by_document: Limiter,
    /// The certificates that no longer stand, and what never changes about the others.
    pub standing: Arc<Standing>,
    /// Seconds between two refreshes of `standing`.
    pub status_refresh: Duration,
    /// The published key set, with its entity tag (the keys do not change while the server runs).
    pub(super) published_keys: OnceLock<Arc<Tagged>>,
    /// The last signed status list, with its entity tag.
    pub(super) published_status: Mutex<Option<Arc<Tagged>>>,
}

impl Certificates {
    /// The keys and settings of a configuration.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let settings = &config.certificates;
        let hour = Duration::from_secs(3600);
        Ok(Self {
            ring: KeyRing::from_config(config)?,
            base_url: config.certificate_base_url().to_owned(),
            verifications: Limiter::new(
                "verify",
                settings.verifications_per_minute,
                Duration::from_secs(60),
            ),
            requests_by_address: Limiter::new(
                "request_address",
                settings.public_requests_per_hour,
                hour,
            ),
            requests_by_document: Limiter::new(
                "request_document",
                settings.public_requests_per_hour,
                hour,
            ),
            standing: Arc::default(),
            status_refresh: Duration::from_secs(settings.status_refresh_secs.max(1)),
            published_keys: OnceLock::new(),
            published_status: Mutex::default(),
        })
    }

    /// Starts counting the public endpoints' hits in `db` (keys hashed with `salt`, the same on
    /// every instance).
    pub fn start_limits(&self, db: &DatabaseConnection, salt: &[u8]) {
        for limiter in [
            &self.verifications,
            &self.requests_by_address,
            &self.requests_by_document,
        ] {
            limiter.start(db.clone(), salt);
        }
    }

    /// The QR text of signed bytes.
    pub fn qr_text(&self, cose: &[u8]) -> String {
        qr::qr_text(&self.base_url, &qr::encode_payload(cose))
    }

    /// The address of the verification by code.
    pub fn verify_url(&self) -> String {
        format!("{}{}", self.base_url, VERIFY_PATH)
    }
}
