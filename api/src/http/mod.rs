//! HTTP plumbing shared by every area: extractors with the JSON error shape, pagination.

pub mod extract;
pub mod page;

pub use extract::{ApiJson, ApiPath, ApiQuery};
pub use page::{Page, PageParams};

use axum::response::IntoResponse;

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
        let (code, message) = match status {
            StatusCode::METHOD_NOT_ALLOWED => {
                ("method_not_allowed", "Esta ruta no admite el método usado.")
            }
            StatusCode::REQUEST_TIMEOUT => (
                "request_timeout",
                "La solicitud tardó demasiado. Intente nuevamente.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "payload_too_large",
                "El contenido enviado supera el tamaño permitido.",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "El tipo de contenido no es el esperado (por ejemplo, JSON o un formulario multipart).",
            ),
            StatusCode::BAD_REQUEST => ("invalid_body", "La solicitud no tiene la forma esperada."),
            _ => ("bad_request", "La solicitud no es válida."),
        };
        let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
        let allow = response.headers().get(header::ALLOW).cloned();
        response = crate::error::ApiError::new(status, code, message).into_response();
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
