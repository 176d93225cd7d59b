//! HTTP plumbing shared by every area: extractors with the JSON error shape, pagination, the
//! bounds on a request's address and headers.

pub mod download;
pub mod extract;
pub mod idempotency;
pub mod page;

pub use extract::{ApiJson, ApiPath, ApiQuery};
pub use page::{Page, PageParams};

/// Longest request target (path and query) served; longer ones get a JSON 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Largest header section served, and most header fields; more get a JSON 431. Both are well
/// under the connection's own bounds (`serve`), which answer without a body.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
pub const MAX_HEADER_FIELDS: usize = 64;

/// Refuses, in the JSON error shape, a request whose address or headers are too large.
pub async fn bound_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let uri = request.uri();
    let target = uri.path().len() + uri.query().map_or(0, |q| q.len() + 1);
    if target > MAX_URI_BYTES {
        return crate::error::error_response(
            StatusCode::URI_TOO_LONG,
            crate::error::ErrorCode::UriTooLong,
        )
        .into_response();
    }
    let headers = request.headers();
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if headers.len() > MAX_HEADER_FIELDS || header_bytes > MAX_HEADER_BYTES {
        return crate::error::error_response(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            crate::error::ErrorCode::HeadersTooLarge,
        );
    }
    next.run(request).await
}

/// Headers every answer carries, and the JSON error shape for the 4xx answers that a layer or an
/// extractor wrote as plain text (405, 408, 413, 415, a multipart body that is not one). A 413
/// says `Connection: close`: the body it refused was not read, so the connection ends with it.
pub async fn harden(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    let status = response.status();
    // Plain text (or nothing) is what a layer or an extractor wrote; JSON and pages stay.
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if status.is_client_error() && plain {
        use crate::error::ErrorCode;
        let code = match status {
            StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
            StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            StatusCode::BAD_REQUEST => ErrorCode::InvalidBody,
            _ => ErrorCode::BadRequest,
        };
        let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
        let allow = response.headers().get(header::ALLOW).cloned();
        response = crate::error::error_response(status, code);
        for (name, value) in [(header::RETRY_AFTER, retry_after), (header::ALLOW, allow)] {
            if let Some(value) = value {
                response.headers_mut().insert(name, value);
            }
        }
    }
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Answers carry personal data: no cache keeps them.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// A CSV cell that a spreadsheet will not run as a formula (OWASP's CSV injection): text starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe.
pub fn csv_cell(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_that_a_spreadsheet_would_run_are_neutralised() {
        assert_eq!(
            super::csv_cell("=HYPERLINK(\"x\")".into()),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(super::csv_cell("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(super::csv_cell("\t1".into()), "'\t1");
        assert_eq!(super::csv_cell("Chávez".into()), "Chávez");
        assert_eq!(super::csv_cell("98.5".into()), "98.5");
    }
}
