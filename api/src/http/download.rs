//! Answers that download a file rather than show it.

use axum::{body::Body, http::header, response::Response};

use crate::error::{ApiError, Result};

/// A CSV download (`<name>.csv`), streamed line by line; `bom` starts it with a UTF-8 byte order
/// mark, for spreadsheets that need one to read accents.
pub fn csv(mut lines: Vec<String>, name: &str, bom: bool) -> Result<Response> {
    if bom && let Some(first) = lines.first_mut() {
        first.insert(0, '\u{feff}');
    }
    let stream = futures_util::stream::iter(lines.into_iter().map(Ok::<_, std::io::Error>));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.csv\""),
        )
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::Internal(e.into()))
}
