//! Access tokens (short-lived HS256 JWTs) and opaque refresh tokens (stored as SHA-256 hashes).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::error::ErrorCode;

/// A random URL-safe token of `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The stored form of an opaque token.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The account id.
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    /// The login (refresh token family) this token belongs to.
    pub fam: String,
}

/// Signs and checks access tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(secret: &SecretString, access_ttl_secs: i64) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        // Expiry is checked against the server's clock (`verify`), not the library's.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            access_ttl_secs,
        }
    }

    /// A signed access token for an account.
    pub fn issue(
        &self,
        user_id: i64,
        family: &str,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: now.timestamp() + self.access_ttl_secs,
            fam: family.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(e.into()))
    }

    /// Checks signature, algorithm and expiry (on the server's clock); answers the 401 the
    /// tablet expects.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => ApiError::from(ErrorCode::TokenExpired),
                _ => ApiError::from(ErrorCode::InvalidToken),
            })?;
        if claims.exp <= crate::time::now().timestamp() {
            return Err(ErrorCode::TokenExpired.into());
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&SecretString::from("x".repeat(48)), 900)
    }

    fn code(error: ApiError) -> &'static str {
        match error {
            ApiError::Client { code, .. } => code.as_str(),
            ApiError::Internal(_) => "internal",
        }
    }

    #[test]
    fn an_issued_token_verifies() {
        let token = keys().issue(7, "fam", Utc::now()).unwrap();
        assert_eq!(keys().verify(&token).unwrap().sub, "7");
    }

    #[test]
    fn an_expired_token_says_so() {
        let token = keys()
            .issue(7, "fam", Utc::now() - chrono::Duration::hours(1))
            .unwrap();
        assert_eq!(code(keys().verify(&token).unwrap_err()), "token_expired");
    }

    #[test]
    fn tampered_and_unsigned_tokens_are_refused() {
        let token = keys().issue(7, "fam", Utc::now()).unwrap();
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"sub":"1","iat":0,"exp":99999999999,"fam":"f"}"#);
        parts[1] = &forged;
        assert_eq!(
            code(keys().verify(&parts.join(".")).unwrap_err()),
            "invalid_token"
        );

        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let unsigned = format!("{none_header}.{forged}.");
        assert_eq!(code(keys().verify(&unsigned).unwrap_err()), "invalid_token");

        let other = TokenKeys::new(&SecretString::from("y".repeat(48)), 900);
        let foreign = other.issue(7, "fam", Utc::now()).unwrap();
        assert_eq!(code(keys().verify(&foreign).unwrap_err()), "invalid_token");
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = random_token(32);
        assert_ne!(a, random_token(32));
        assert_eq!(hash_token(&a).len(), 64);
        assert_eq!(hash_token(&a), hash_token(&a));
    }
}
