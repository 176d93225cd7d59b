//! What the certificates' handlers share, held in the application state: the signing keys, the
//! address the QR names and the limits on verifications and public requests.

use std::time::Duration;

use super::{answer::VERIFY_PATH, qr, signing::KeyRing, throttle::Limiter};
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
}

impl Certificates {
    /// The keys and settings of a configuration.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let settings = &config.certificates;
        let hour = Duration::from_secs(3600);
        Ok(Self {
            ring: KeyRing::from_config(config)?,
            base_url: config.certificate_base_url().to_owned(),
            verifications: Limiter::new(settings.verifications_per_minute, Duration::from_secs(60)),
            requests_by_address: Limiter::new(settings.public_requests_per_hour, hour),
            requests_by_document: Limiter::new(settings.public_requests_per_hour, hour),
        })
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
