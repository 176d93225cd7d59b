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
        parse_json(&bytes).map(ApiJson)
    }
}

/// Deserialises JSON, naming the failing field in the error.
///
/// Read once without tracking the path, which costs every field of a good body; a body that
/// fails is read again, rarely, to name the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
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
    })
}

/// Maps a failure to read the body.
pub fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
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
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|rejection: QueryRejection| {
                tracing::debug!(%rejection, "bad query");
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "Los parámetros de la consulta no son válidos.",
                )
            })
    }
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
