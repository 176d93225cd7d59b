//! Extractors whose rejections use the project's error shape and Spanish messages.

use axum::{
    body::Bytes,
    extract::{
        FromRequest, FromRequestParts, Request,
        rejection::{BytesRejection, PathRejection, QueryRejection},
    },
    http::{StatusCode, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::error::ErrorCode;
use crate::error::{ApiError, FieldErrors};

/// A JSON body. A bad body answers 400 `invalid_body` naming the field that failed; a body over
/// the limit (after decompression) answers 413 `payload_too_large`.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        if escapes_control(&bytes) {
            return Err(control_characters());
        }
        parse_json(&bytes).map(ApiJson)
    }
}

use crate::domain::forbidden_control;
pub use crate::domain::has_control;

/// 400 for text with control characters.
pub fn control_characters() -> ApiError {
    ApiError::from(ErrorCode::ControlCharacters)
}

/// Whether a JSON text carries a control character other than tab, line feed and carriage
/// return, escaped (`\u0007`, `\b`, `\f`) or raw (DEL, the C1 characters and the controls of
/// bidirectional text, which JSON lets through unescaped): no person typed one, NUL cannot be
/// stored (PostgreSQL refuses it), and the others would reach e-mails, PDFs and pages.
/// Raw C0 characters are not valid JSON and fail to parse anyway. One pass, skipping each escape
/// whole, so that an escaped backslash (`\\u0007`) is text.
fn escapes_control(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        match json[i] {
            b'\\' => match json.get(i + 1) {
                Some(b'b' | b'f') => return true,
                Some(b'u') => {
                    let code = json
                        .get(i + 2..i + 6)
                        .and_then(|hex| std::str::from_utf8(hex).ok())
                        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                        .and_then(char::from_u32);
                    if code.is_some_and(forbidden_control) {
                        return true;
                    }
                    i += 6;
                }
                _ => i += 2,
            },
            0x7F => return true,
            0xC2 if json.get(i + 1).is_some_and(|b| (0x80..=0x9F).contains(b)) => return true,
            // The controls of bidirectional text, U+202A to U+202E and U+2066 to U+2069.
            0xE2 if matches!(
                (json.get(i + 1), json.get(i + 2)),
                (Some(0x80), Some(0xAA..=0xAE)) | (Some(0x81), Some(0xA6..=0xA9))
            ) =>
            {
                return true;
            }
            _ => i += 1,
        }
    }
    false
}

/// Whether a query string or a form's body carries a forbidden control character, raw or
/// percent-encoded (a C1 character as its two UTF-8 bytes).
pub fn form_has_control(text: &[u8]) -> bool {
    let mut bytes = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let hex = text
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (text[i], hex) {
            (b'%', Some(byte)) => {
                bytes.push(byte);
                i += 3;
            }
            (byte, _) => {
                bytes.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&bytes)
        .chars()
        .any(forbidden_control)
}

/// Deserialises JSON, naming the failing field in the error.
///
/// Read once without tracking the path, which costs every field of a good body; a body that
/// fails is read again, rarely, to name the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "El cuerpo de la solicitud no es JSON válido."
            }
            _ if inner.to_string().starts_with("missing field") => "Falta un campo obligatorio.",
            _ if inner.to_string().starts_with("unknown variant") => {
                "El valor no es uno de los permitidos."
            }
            _ => "El valor no tiene el tipo o el formato esperado.",
        };
        let field = match inner.to_string().strip_prefix("missing field `") {
            Some(rest) => {
                let name = rest.split('`').next().unwrap_or_default();
                if path == "." {
                    name.to_owned()
                } else {
                    format!("{path}.{name}")
                }
            }
            None => path,
        };
        let mut fields = FieldErrors::new();
        if field != "." && !field.is_empty() {
            fields.insert(field, message.to_owned());
        }
        ApiError::invalid_body(format!(
            "La solicitud no tiene la forma esperada: {}",
            message.to_lowercase()
        ))
        .with_fields(fields)
    })?;
    // A value followed by anything but whitespace is not one JSON document (the first read
    // refused it for that).
    deserializer.end().map_err(|_| {
        ApiError::invalid_body(
            "La solicitud no tiene la forma esperada: el cuerpo de la solicitud no es json válido.",
        )
    })?;
    Ok(value)
}

/// Maps a failure to read the body.
pub fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::because(
            ErrorCode::PayloadTooLarge,
            "La solicitud es demasiado grande.",
        )
    } else {
        ApiError::invalid_body("No se pudo leer el cuerpo de la solicitud.")
    }
}

/// Query parameters; a bad one answers 400 `invalid_query`.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts
            .uri
            .query()
            .is_some_and(|q| form_has_control(q.as_bytes()))
        {
            return Err(ApiError::because(
                ErrorCode::InvalidQuery,
                ErrorCode::ControlCharacters.message(),
            ));
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|rejection: QueryRejection| {
                tracing::debug!(%rejection, "bad query");
                match unknown_field(&rejection.body_text()) {
                    Some(name) => ApiError::because(
                        ErrorCode::UnknownQueryParameter,
                        format!("Este recurso no admite el parámetro «{name}» en la consulta."),
                    )
                    .with_details(serde_json::json!({ "parameter": name })),
                    None => ApiError::from(ErrorCode::InvalidQuery),
                }
            })
    }
}

/// The parameter serde refused as unknown (a query struct with `deny_unknown_fields`).
fn unknown_field(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("unknown field `")?;
    let (name, _) = rest.split_once('`')?;
    Some(name.chars().take(64).collect())
}

/// Path parameters; a bad one (e.g. a non-numeric id) answers 404, as no such resource exists.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|rejection: PathRejection| {
                tracing::debug!(%rejection, "bad path");
                ApiError::not_found("el recurso solicitado")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_control_characters_are_found_and_escaped_backslashes_are_not() {
        assert!(escapes_control(br#"{"username":"a\u0000b"}"#));
        assert!(escapes_control(br#"{"x":"\u001F"}"#));
        assert!(escapes_control(br#"{"x":"bell\u0007"}"#));
        assert!(escapes_control(br#"{"x":"\u001b[31m"}"#));
        assert!(escapes_control(br#"{"x":"\u007F"}"#));
        assert!(escapes_control(br#"{"x":"\u0085"}"#));
        assert!(escapes_control("{\"x\":\"a\u{85}b\"}".as_bytes()));
        assert!(escapes_control(br#"{"x":"back\bspace"}"#));
        assert!(escapes_control(b"{\"x\":\"a\x7fb\"}"));
        assert!(!escapes_control(br#"{"x":"line\u000aother\ttab\r\n"}"#));
        assert!(!escapes_control(br#"{"x":"a\\u0000 \\b \\f"}"#));
        assert!(escapes_control(br#"{"x":"a\\\u0000"}"#));
        assert!(!escapes_control(
            "{\"x\":\"Chávez ñandú ü — ✓\"}".as_bytes()
        ));
        assert!(form_has_control(b"q=a%00b"));
        assert!(form_has_control(b"q=a%1Bb"));
        assert!(form_has_control(b"q=a%C2%85b"));
        assert!(form_has_control(b"q=a\x07b"));
        assert!(!form_has_control(b"q=Ch%C3%A1vez%20x+y%0D%0Az%09"));
        assert!(!form_has_control(b"q=100%25+seguro%zz"));
        assert!(has_control("a\u{0}b") && !has_control("Chávez\n"));
    }
}
