//! The keys certificates are signed with, the COSE_Sign1 (Ed25519) around a payload, and the key
//! set published for verifiers.
//!
//! The current signing key comes from configuration (never logged); keys used before stay in the
//! configuration as public keys with the dates they signed between, and any key can be revoked
//! from a date: a certificate dated from then on under that key is not valid. A key's id (kid)
//! is the first 8 bytes of the SHA-256 of its public key.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, NaiveDate, Utc};
use coset::{CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, iana};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::payload::{self, CertificateContent};
use crate::config::{Config, ConfigError};

/// A key id: 8 bytes of the SHA-256 of the public key.
pub type Kid = [u8; 8];

/// The id of a public key.
pub fn kid_of(key: &VerifyingKey) -> Kid {
    let digest = Sha256::digest(key.as_bytes());
    let mut kid = [0u8; 8];
    kid.copy_from_slice(&digest[..8]);
    kid
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A public key as published, with the dates it signs between.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublishedKey {
    /// Key id, in hexadecimal.
    pub kid: String,
    /// Always `EdDSA` (Ed25519).
    pub algorithm: String,
    /// The 32-byte public key, base64url without padding.
    pub public_key: String,
    /// First day a certificate may be dated under this key.
    pub valid_from: NaiveDate,
    /// Last day (none for the current key).
    pub valid_until: Option<NaiveDate>,
    /// From this day on, certificates under this key are not valid (a compromised key).
    pub revoked_from: Option<NaiveDate>,
}

/// The published key set, signed by the current key over the canonical JSON of `keys`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublishedKeySet {
    pub issuer: String,
    pub keys: Vec<PublishedKey>,
    /// The kid of the key that signed this set.
    pub signed_by: String,
    /// Ed25519 signature over the compact JSON of `keys`, base64url without padding.
    pub signature: String,
}

/// A usable public key.
#[derive(Debug, Clone)]
struct TrustedKey {
    kid: Kid,
    key: VerifyingKey,
    published: PublishedKey,
}

/// Why a payload is not a valid certificate, in words for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// Not Base32, not COSE, not our CBOR: cut short, mistyped or invented.
    Malformed,
    /// Signed with a key no one published.
    UnknownKey,
    /// The content does not match its signature: altered.
    BadSignature,
    /// Dated outside the dates its key signs between.
    OutsideKeyWindow,
    /// Dated on or after the day its key was revoked.
    KeyRevoked,
}

impl Invalid {
    /// Machine code.
    pub fn code(self) -> &'static str {
        match self {
            Invalid::Malformed => "malformed",
            Invalid::UnknownKey => "unknown_key",
            Invalid::BadSignature => "bad_signature",
            Invalid::OutsideKeyWindow => "outside_key_window",
            Invalid::KeyRevoked => "key_revoked",
        }
    }

    /// The reason, in Spanish.
    pub fn reason(self) -> &'static str {
        match self {
            Invalid::Malformed => {
                "El código no se puede leer: está incompleto, mal copiado o no fue emitido por el SIAGIE."
            }
            Invalid::UnknownKey => "El código está firmado con una clave que el MINEDU no publicó.",
            Invalid::BadSignature => {
                "La firma digital no corresponde al contenido: el certificado fue alterado."
            }
            Invalid::OutsideKeyWindow => {
                "La fecha de emisión está fuera del periodo en que la clave firmante estuvo vigente."
            }
            Invalid::KeyRevoked => "La clave con la que se firmó fue revocada.",
        }
    }
}

/// Public keys a verifier trusts: from the server's configuration or a published key set file.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<TrustedKey>,
}

impl KeySet {
    /// Reads a published key set and checks its own signature; the error is Spanish.
    pub fn from_published(set: &PublishedKeySet) -> Result<Self, String> {
        let mut keys = Vec::new();
        for published in &set.keys {
            let bytes: [u8; 32] = URL_SAFE_NO_PAD
                .decode(&published.public_key)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| format!("La clave {} no es válida.", published.kid))?;
            let key = VerifyingKey::from_bytes(&bytes)
                .map_err(|_| format!("La clave {} no es válida.", published.kid))?;
            let kid = kid_of(&key);
            if hex(&kid) != published.kid {
                return Err(format!(
                    "El identificador de la clave {} no corresponde a ella.",
                    published.kid
                ));
            }
            keys.push(TrustedKey {
                kid,
                key,
                published: published.clone(),
            });
        }
        let keys = KeySet { keys };
        let signer = keys
            .keys
            .iter()
            .find(|k| k.published.kid == set.signed_by)
            .ok_or("El conjunto de claves está firmado por una clave que no contiene.")?;
        let signature = URL_SAFE_NO_PAD
            .decode(&set.signature)
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok())
            .ok_or("La firma del conjunto de claves no se puede leer.")?;
        signer
            .key
            .verify(&canonical(&set.keys), &signature)
            .map_err(|_| "La firma del conjunto de claves no es válida.".to_owned())?;
        Ok(keys)
    }

    /// Checks a COSE_Sign1 and answers what it signs and under which key.
    pub fn verify(&self, cose: &[u8]) -> Result<(CertificateContent, String), Invalid> {
        let sign1 = CoseSign1::from_slice(cose).map_err(|_| Invalid::Malformed)?;
        if sign1.protected.header.alg
            != Some(coset::RegisteredLabelWithPrivate::Assigned(
                iana::Algorithm::EdDSA,
            ))
        {
            return Err(Invalid::Malformed);
        }
        let kid = &sign1.protected.header.key_id;
        let trusted = self
            .keys
            .iter()
            .find(|k| k.kid.as_slice() == kid.as_slice())
            .ok_or(Invalid::UnknownKey)?;
        sign1
            .verify_signature(b"", |signature, data| {
                let signature = Signature::from_slice(signature).map_err(|_| ())?;
                trusted.key.verify(data, &signature).map_err(|_| ())
            })
            .map_err(|()| Invalid::BadSignature)?;
        let content = sign1
            .payload
            .as_deref()
            .and_then(payload::decode)
            .ok_or(Invalid::Malformed)?;
        let key = &trusted.published;
        if key.revoked_from.is_some_and(|r| content.issued_on >= r) {
            return Err(Invalid::KeyRevoked);
        }
        if content.issued_on < key.valid_from
            || key.valid_until.is_some_and(|u| content.issued_on > u)
        {
            return Err(Invalid::OutsideKeyWindow);
        }
        Ok((content, key.kid.clone()))
    }
}

/// The compact JSON of the keys: the bytes the key set's signature covers.
fn canonical(keys: &[PublishedKey]) -> Vec<u8> {
    serde_json::to_vec(keys).unwrap_or_default()
}

/// The server's keys: the one it signs with and every key it publishes.
pub struct KeyRing {
    signing: SigningKey,
    kid: Kid,
    set: KeySet,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret key.
        f.debug_struct("KeyRing")
            .field("kid", &hex(&self.kid))
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// The keys of a configuration: the signing key (given, from a file, or generated once in
    /// development) and the retired public keys.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let secret = config.certificate_signing_key()?;
        let settings = &config.certificates;
        let mut ring = Self::new(
            &secret,
            settings.signing_key_valid_from,
            settings.signing_key_revoked_from,
        )?;
        for retired in &settings.retired_keys {
            let invalid = || {
                ConfigError::Invalid(format!(
                    "certificates.retired_keys: la clave pública «{}» no es una clave Ed25519 en base64url",
                    retired.public_key
                ))
            };
            let bytes: [u8; 32] = URL_SAFE_NO_PAD
                .decode(retired.public_key.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(invalid)?;
            let key = VerifyingKey::from_bytes(&bytes).map_err(|_| invalid())?;
            ring.set.keys.push(trusted(
                key,
                retired.valid_from,
                Some(retired.valid_until),
                retired.revoked_from,
            ));
        }
        Ok(ring)
    }

    /// A ring of one key, from its 32-byte seed in base64url (or standard base64).
    pub fn new(
        seed: &secrecy::SecretString,
        valid_from: NaiveDate,
        revoked_from: Option<NaiveDate>,
    ) -> Result<Self, ConfigError> {
        use secrecy::ExposeSecret;
        let text = seed.expose_secret().trim();
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .or_else(|_| base64::engine::general_purpose::STANDARD.decode(text))
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                ConfigError::Invalid(
                    "la clave de firma de certificados debe ser de 32 bytes en base64".into(),
                )
            })?;
        let signing = SigningKey::from_bytes(&bytes);
        let public = signing.verifying_key();
        let kid = kid_of(&public);
        Ok(Self {
            signing,
            kid,
            set: KeySet {
                keys: vec![trusted(public, valid_from, None, revoked_from)],
            },
        })
    }

    /// A fresh random 32-byte seed in base64url, for a new signing key.
    pub fn generate_seed() -> String {
        use rand::Rng;
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        URL_SAFE_NO_PAD.encode(seed)
    }

    /// The current key's id, in hexadecimal.
    pub fn kid(&self) -> String {
        hex(&self.kid)
    }

    /// Every trusted key.
    pub fn keys(&self) -> &KeySet {
        &self.set
    }

    /// Signs a certificate's content as a COSE_Sign1.
    pub fn sign(&self, content: &CertificateContent) -> Vec<u8> {
        let protected = HeaderBuilder::new()
            .algorithm(iana::Algorithm::EdDSA)
            .key_id(self.kid.to_vec())
            .build();
        CoseSign1Builder::new()
            .protected(protected)
            .payload(payload::encode(content))
            .create_signature(b"", |data| self.signing.sign(data).to_bytes().to_vec())
            .build()
            .to_vec()
            .unwrap_or_default()
    }

    /// Signs bytes with the current key (a published list), base64url without padding.
    pub fn sign_detached(&self, data: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.signing.sign(data).to_bytes())
    }

    /// The key set to publish, signed by the current key.
    pub fn published(&self) -> PublishedKeySet {
        let keys: Vec<PublishedKey> = self.set.keys.iter().map(|k| k.published.clone()).collect();
        PublishedKeySet {
            issuer: "SIAGIE — Ministerio de Educación del Perú".into(),
            signature: self.sign_detached(&canonical(&keys)),
            keys,
            signed_by: self.kid(),
        }
    }

    /// Checks a detached signature of the current or an earlier key (a published list).
    pub fn check_detached(set: &KeySet, kid: &str, data: &[u8], signature: &str) -> bool {
        let Some(key) = set.keys.iter().find(|k| k.published.kid == kid) else {
            return false;
        };
        URL_SAFE_NO_PAD
            .decode(signature)
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok())
            .is_some_and(|s| key.key.verify(data, &s).is_ok())
    }
}

fn trusted(
    key: VerifyingKey,
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
    revoked_from: Option<NaiveDate>,
) -> TrustedKey {
    let kid = kid_of(&key);
    TrustedKey {
        kid,
        key,
        published: PublishedKey {
            kid: hex(&kid),
            algorithm: "EdDSA".into(),
            public_key: URL_SAFE_NO_PAD.encode(key.as_bytes()),
            valid_from,
            valid_until,
            revoked_from,
        },
    }
}

/// A signed list published for offline verifiers (the annulled and superseded certificates).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignedList<T> {
    pub generated_at: DateTime<Utc>,
    pub entries: Vec<T>,
    pub signed_by: String,
    /// Ed25519 signature over the compact JSON of `[generated_at, entries]`, base64url.
    pub signature: String,
}

impl<T: Serialize> SignedList<T> {
    /// Signs a list with the current key.
    pub fn sign(ring: &KeyRing, generated_at: DateTime<Utc>, entries: Vec<T>) -> Self {
        let data = serde_json::to_vec(&(&generated_at, &entries)).unwrap_or_default();
        Self {
            signature: ring.sign_detached(&data),
            generated_at,
            entries,
            signed_by: ring.kid(),
        }
    }

    /// Whether the list is signed by a key of the set.
    pub fn is_signed_by(&self, set: &KeySet) -> bool {
        let data = serde_json::to_vec(&(&self.generated_at, &self.entries)).unwrap_or_default();
        KeyRing::check_detached(set, &self.signed_by, &data, &self.signature)
    }
}

/// Reads a hexadecimal kid (for messages and lists).
pub fn parse_kid(text: &str) -> Option<Kid> {
    unhex(text).and_then(|b| b.try_into().ok())
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::certificates::payload::tests::sample;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn ring() -> KeyRing {
        KeyRing::new(
            &SecretString::from(KeyRing::generate_seed()),
            day(2020, 1, 1),
            None,
        )
        .unwrap()
    }

    #[test]
    fn a_signed_certificate_verifies_and_reads_back() {
        let ring = ring();
        let content = sample();
        let cose = ring.sign(&content);
        let (read, kid) = ring.keys().verify(&cose).unwrap();
        assert_eq!(read, content);
        assert_eq!(kid, ring.kid());
        assert_eq!(kid.len(), 16);
    }

    #[test]
    fn an_altered_byte_or_another_key_is_refused() {
        let ring = ring();
        let cose = ring.sign(&sample());
        // Change a grade's byte inside the payload: the signature no longer matches.
        let mut altered = cose.clone();
        let at = altered.len() / 2;
        altered[at] ^= 0x01;
        assert!(matches!(
            ring.keys().verify(&altered),
            Err(Invalid::BadSignature | Invalid::Malformed)
        ));
        assert_eq!(
            ring.keys().verify(&cose[..cose.len() - 5]),
            Err(Invalid::Malformed)
        );
        let other = super::tests::ring();
        assert_eq!(other.keys().verify(&cose), Err(Invalid::UnknownKey));
    }

    #[test]
    fn a_revoked_key_stops_validating_from_its_date() {
        let seed = SecretString::from(KeyRing::generate_seed());
        let ring = KeyRing::new(&seed, day(2020, 1, 1), None).unwrap();
        let cose = ring.sign(&sample()); // dated 2026-12-02
        let revoked_later = KeyRing::new(&seed, day(2020, 1, 1), Some(day(2027, 1, 1))).unwrap();
        assert!(revoked_later.keys().verify(&cose).is_ok());
        let revoked_before = KeyRing::new(&seed, day(2020, 1, 1), Some(day(2026, 6, 1))).unwrap();
        assert_eq!(
            revoked_before.keys().verify(&cose),
            Err(Invalid::KeyRevoked)
        );
        let not_yet = KeyRing::new(&seed, day(2027, 1, 1), None).unwrap();
        assert_eq!(not_yet.keys().verify(&cose), Err(Invalid::OutsideKeyWindow));
    }

    #[test]
    fn the_published_key_set_checks_its_own_signature() {
        let ring = ring();
        let published = ring.published();
        let json = serde_json::to_string(&published).unwrap();
        let read: PublishedKeySet = serde_json::from_str(&json).unwrap();
        let set = KeySet::from_published(&read).unwrap();
        assert!(set.verify(&ring.sign(&sample())).is_ok());
        let mut forged = read.clone();
        forged.keys[0].valid_from = day(2010, 1, 1);
        assert!(KeySet::from_published(&forged).is_err());
    }
}
