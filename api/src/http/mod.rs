//! HTTP plumbing shared by every area: extractors with the JSON error shape, pagination.

pub mod extract;
pub mod page;

pub use extract::{ApiJson, ApiPath, ApiQuery};
pub use page::{Page, PageParams};

/// Headers every answer carries, and the JSON error shape for the 4xx answers that a layer or an
/// extractor wrote as plain text (405, 408, 413, 415, a multipart body that is not one).
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
