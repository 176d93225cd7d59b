//! What the certificates' pages and JSON routes both answer with: the public pages' paths and a
//! PDF answer. It sits below both, so that neither imports the other.

use axum::{http::header, response::Response};

use crate::error::{ApiError, Result};

/// Verification by virtual code.
pub const VERIFY_PATH: &str = "/verificar";
/// The public request form.
pub const REQUEST_PATH: &str = "/certificado/solicitar";
/// The page a download link opens (its button downloads, with a POST).
pub const DOWNLOAD_PATH: &str = "/certificado/descarga";
/// The page where a requester asks for a new download link.
pub const NEW_LINK_PATH: &str = "/certificado/nuevo-enlace";
/// The published key set.
pub const KEYS_PATH: &str = "/.well-known/siagie-certificate-keys";
/// The published list of annulled and superseded certificates.
pub const STATUS_PATH: &str = "/.well-known/siagie-certificate-status";

/// A PDF answer.
pub fn pdf_response(name: &str, bytes: Vec<u8>) -> Result<Response> {
    Response::builder()
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{name}.pdf\""),
        )
        .body(axum::body::Body::from(bytes))
        .map_err(|e| ApiError::Internal(e.into()))
}
