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

/// A CSV field: neutralised as a formula (`super::csv_cell`) and quoted when it must be.
pub fn csv_field(value: &str) -> String {
    let value = super::csv_cell(value.to_owned());
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// A CSV line of fields, with its line break.
pub fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// A CSV written as it is read (`name`.csv, an attachment): the chunks a producer sends.
pub fn csv_stream(
    receiver: tokio::sync::mpsc::Receiver<std::io::Result<axum::body::Bytes>>,
    name: &str,
) -> Result<Response> {
    // Fused: the compression layer may poll once more after the end.
    let stream = futures_util::StreamExt::fuse(futures_util::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|item| (item, receiver)) },
    ));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.csv\""),
        )
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::Internal(e.into()))
}
