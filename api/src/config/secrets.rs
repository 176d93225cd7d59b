//! The server's secrets: the HMAC key of access tokens and the seed of the certificates'
//! signing key, each given, read from a file, or (development only) generated once and kept in
//! the data folder, readable only by its owner.

use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use super::{Config, ConfigError, Mode};

impl Config {
    /// The HMAC key for access tokens: given, read from a file, or (development only) generated
    /// once and kept in the data folder.
    pub fn jwt_secret(&self) -> Result<SecretString, ConfigError> {
        if let Some(secret) = &self.auth.jwt_secret {
            if secret.expose_secret().len() < MIN_SECRET_BYTES {
                return Err(ConfigError::Invalid(format!(
                    "SIAGIE_AUTH_JWT_SECRET debe tener al menos {MIN_SECRET_BYTES} bytes"
                )));
            }
            return Ok(secret.clone());
        }
        if let Some(path) = &self.auth.jwt_secret_file {
            return read_secret(path);
        }
        if self.mode == Mode::Production {
            return Err(ConfigError::MissingSecret("SIAGIE_AUTH_JWT_SECRET"));
        }
        let path = self.storage.data_dir.join("jwt-secret");
        if path.exists() {
            return read_secret(&path);
        }
        // 48 random bytes, URL-safe: a key no one chose.
        let secret = {
            use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
            use rand::Rng;
            let mut key = [0u8; 48];
            rand::rng().fill_bytes(&mut key);
            URL_SAFE_NO_PAD.encode(key)
        };
        std::fs::create_dir_all(&self.storage.data_dir).map_err(|source| ConfigError::Io {
            path: self.storage.data_dir.clone(),
            source,
        })?;
        write_private(&path, &secret).map_err(|source| ConfigError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(SecretString::from(secret))
    }

    /// The seed of the certificates' signing key: given, read from a file, or (development only)
    /// generated once and kept in the data folder with mode 0600.
    pub fn certificate_signing_key(&self) -> Result<SecretString, ConfigError> {
        let settings = &self.certificates;
        if let Some(secret) = &settings.signing_key {
            return Ok(secret.clone());
        }
        let read = |path: &Path| {
            std::fs::read_to_string(path)
                .map(|text| SecretString::from(text.trim().to_owned()))
                .map_err(|source| ConfigError::Io {
                    path: path.to_owned(),
                    source,
                })
        };
        if let Some(path) = &settings.signing_key_file {
            return read(path);
        }
        if self.mode == Mode::Production {
            return Err(ConfigError::MissingSecret(
                "SIAGIE_CERTIFICATES_SIGNING_KEY",
            ));
        }
        let path = self.storage.data_dir.join("certificate-signing-key");
        if path.exists() {
            return read(&path);
        }
        std::fs::create_dir_all(&self.storage.data_dir).map_err(|source| ConfigError::Io {
            path: self.storage.data_dir.clone(),
            source,
        })?;
        // A 32-byte Ed25519 seed no one chose, base64url.
        let seed = {
            use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
            use rand::Rng;
            let mut seed = [0u8; 32];
            rand::rng().fill_bytes(&mut seed);
            URL_SAFE_NO_PAD.encode(seed)
        };
        write_private(&path, &seed).map_err(|source| ConfigError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(SecretString::from(seed))
    }

    /// The address the certificates' QR codes name.
    pub fn certificate_base_url(&self) -> &str {
        self.certificates
            .public_base_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or(&self.auth.public_base_url)
            .trim_end_matches('/')
    }
}

/// The shortest HMAC key accepted for access tokens, from any source.
const MIN_SECRET_BYTES: usize = 32;

/// Writes a file that only its owner can read (mode 0600 on Unix).
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

fn read_secret(path: &Path) -> Result<SecretString, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_owned(),
        source,
    })?;
    let secret = text.trim();
    if secret.len() < MIN_SECRET_BYTES {
        return Err(ConfigError::Invalid(format!(
            "el secreto en {} debe tener al menos 32 caracteres",
            path.display()
        )));
    }
    Ok(SecretString::from(secret.to_owned()))
}
