//! The signed lists offline verifiers fetch (the key set, the status list), served with an entity
//! tag: a verifier that sends back the tag of the copy it holds (`If-None-Match`) is answered
//! `304 Not Modified` with no body while the list is the same.

use std::time::Instant;

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

/// A JSON body as served, with its entity tag.
#[derive(Debug)]
pub struct Tagged {
    pub body: Vec<u8>,
    /// A strong tag: the first 16 bytes of the body's SHA-256, quoted.
    pub etag: String,
    /// The status generation it was made from (0 for the key set).
    pub generation: u64,
    /// When it was made.
    pub made: Instant,
}

impl Tagged {
    /// A body and its tag.
    pub fn new(body: Vec<u8>, generation: u64) -> Self {
        let digest = Sha256::digest(&body);
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            body,
            etag: format!("\"{hex}\""),
            generation,
            made: Instant::now(),
        }
    }

    /// The answer to a request: 304 when it names this tag, else the body.
    pub fn answer(&self, request: &HeaderMap, cache_control: &'static str) -> Response {
        let mut response = if matches(request, &self.etag) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                self.body.clone(),
            )
                .into_response()
        };
        let headers = response.headers_mut();
        if let Ok(etag) = HeaderValue::from_str(&self.etag) {
            headers.insert(header::ETAG, etag);
        }
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        );
        response
    }
}

/// Whether `If-None-Match` names `etag` (or is `*`); weak tags compare by their value (RFC 9110
/// §13.1.2).
fn matches(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_naming_the_tag_is_not_modified() {
        let tagged = Tagged::new(b"{}".to_vec(), 0);
        let mut request = HeaderMap::new();
        assert_eq!(tagged.answer(&request, "no-cache").status(), StatusCode::OK);
        request.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{}", tagged.etag)).unwrap(),
        );
        let answer = tagged.answer(&request, "no-cache");
        assert_eq!(answer.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(answer.headers()[header::ETAG], tagged.etag.as_str());
        request.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"x\""));
        assert_eq!(tagged.answer(&request, "no-cache").status(), StatusCode::OK);
    }
}
