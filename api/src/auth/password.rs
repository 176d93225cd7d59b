//! Password hashing with argon2id, off the async runtime.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use crate::error::ErrorCode;
use crate::error::{ApiError, Result};

/// Minimum rules for a password chosen by a person: 8 to 128 characters with letters and
/// digits, not one of the most common passwords, and not containing the username.
pub fn check_strength(password: &str, username: &str) -> std::result::Result<(), String> {
    let long_enough = password.chars().count() >= 8;
    let has_letter = password.chars().any(char::is_alphabetic);
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    if !(long_enough && has_letter && has_digit && password.chars().count() <= 128) {
        return Err(
            "La contraseña debe tener entre 8 y 128 caracteres, con letras y números.".into(),
        );
    }
    let lowered = password.to_lowercase();
    if COMMON.lines().any(|common| common.trim() == lowered) {
        return Err(
            "Esa contraseña es de las más usadas y fáciles de adivinar: elija otra.".into(),
        );
    }
    let username = username.trim().to_lowercase();
    if username.chars().count() >= 3 && lowered.contains(&username) {
        return Err("La contraseña no puede contener su nombre de usuario.".into());
    }
    Ok(())
}

/// The most common passwords that pass the length, letter and digit rules (lower case).
const COMMON: &str = include_str!("common-passwords.txt");

/// A bound on the password checks a server runs at once: each takes about 19 MiB and a core
/// for tens of milliseconds, so a flood of logins would otherwise take the memory of the machine.
/// Past the bound a few wait; the rest are answered 429 at once.
pub struct HashSlots {
    slots: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
}

impl Default for HashSlots {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            slots: tokio::sync::Semaphore::new(cores * 2),
            waiting: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}

impl HashSlots {
    /// At most this many wait for a slot.
    const MAX_WAITING: usize = 32;

    /// A slot to check a password in, or 429 when too many are waiting already.
    pub async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>> {
        use std::sync::atomic::Ordering;
        if let Ok(permit) = self.slots.try_acquire() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= Self::MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(ApiError::from(ErrorCode::ServerBusy).with_retry_after(2));
        }
        let permit = self.slots.acquire().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit.map_err(|e| ApiError::Internal(e.into()))
    }
}

/// Hashes a password into a PHC string (argon2id, default OWASP parameters).
pub async fn hash(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
}

/// The blocking form of [`hash`], for seeding and admin tasks.
pub fn hash_blocking(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("argon2: {e}")))
}

/// Checks a password against a stored hash; `None` spends the same time against a dummy hash so
/// that unknown accounts cannot be told apart by timing.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))
}

/// An argon2id hash of a random string, with the default parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$8Ue0dxHv3Z7VWtMvy6qRL9W8zmMrPj5VZ0ZqLxlv6Jk";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let stored = hash("Clave.2026".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(
            verify("Clave.2026".into(), Some(stored.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("clave.2026".into(), Some(stored)).await.unwrap());
        assert!(!verify("Clave.2026".into(), None).await.unwrap());
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_strength("corta1", "ana").is_err());
        assert!(check_strength("soloLetrasLargas", "ana").is_err());
        assert!(check_strength("12345678", "ana").is_err());
        assert!(check_strength("Password1", "ana").is_err());
        assert!(check_strength("Contraseña123", "ana").is_err());
        assert!(check_strength("x41234567.Segura", "41234567").is_err());
        assert!(check_strength("Segura.2026", "41234567").is_ok());
    }
}
