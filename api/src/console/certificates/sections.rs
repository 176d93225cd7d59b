//! A section's students and where each one's certificate stands; issuing the ones ticked, and the
//! batch as one PDF.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use minijinja::{Value, context};
use serde::Deserialize;

use super::common::{not_found, refused, state_label};
use crate::console::{
    layout::{PageQuery, pdf, render_wide},
    session::{Posted, Signed},
};
use crate::{
    certificates::batch::{self, Batch},
    links::CERTIFICATES_PATH,
    state::AppState,
};

/// A section's students and where each one's certificate stands, with the batch's form.
pub async fn section(
    State(state): State<AppState>,
    Path(section): Path<String>,
    signed: Signed,
) -> Response {
    let Ok(section) = section.parse::<i64>() else {
        return not_found(&signed);
    };
    let rows = match batch::section_status(&state.db, &signed.principal, section).await {
        Ok(rows) => rows,
        Err(error) => return refused(&signed, error),
    };
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            context! {
                id => r.student_id,
                name => &r.name,
                document => &r.document,
                state => state_label(&r.state),
                ready => r.state == "informacion_completa" || r.state == "por_emitir",
                missing => r.missing.join("; "),
                request => r.request_id.map(|id| format!("{CERTIFICATES_PATH}/solicitudes/{id}")),
                certificate => r.certificate_id.map(|id| format!("{CERTIFICATES_PATH}/{id}")),
            }
        })
        .collect();
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Certificados de la sección",
        "console_certificate_section.html",
        context! {
            rows,
            action => format!("{CERTIFICATES_PATH}/secciones/{section}/emitir"),
            csrf => &signed.csrf,
            back => CERTIFICATES_PATH,
        },
    )
}

/// Issues the certificates of the students ticked, then lists what was issued and what not.
pub async fn issue_section(
    State(state): State<AppState>,
    Path(section): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { signed, form } = posted;
    let Ok(section) = section.parse::<i64>() else {
        return not_found(&signed);
    };
    let student_ids: Vec<i64> = form
        .iter()
        .filter(|(k, _)| k == "student")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let result = batch::issue_batch(
        &state.db,
        &state.certificates,
        &signed.principal,
        Batch {
            section_id: section,
            student_ids,
        },
    )
    .await;
    let result = match result {
        Ok(result) => result,
        Err(error) => return refused(&signed, error),
    };
    let ids: Vec<String> = result.issued.iter().map(|c| c.id.to_string()).collect();
    let issued: Vec<Value> = result
        .issued
        .iter()
        .map(|c| {
            context! {
                name => &c.student_name,
                code => &c.virtual_code,
                link => format!("{CERTIFICATES_PATH}/{}", c.id),
            }
        })
        .collect();
    let skipped: Vec<Value> = result
        .skipped
        .iter()
        .map(|s| context! { id => s.student_id, reason => &s.reason })
        .collect();
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Certificados emitidos",
        "console_certificate_batch.html",
        context! {
            issued,
            skipped,
            pdf => (!ids.is_empty()).then(|| format!("{CERTIFICATES_PATH}/lote.pdf?ids={}", ids.join(","))),
            back => format!("{CERTIFICATES_PATH}/secciones/{section}"),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct Ids {
    ids: String,
}

/// The certificates of a batch as one PDF, a page each.
pub async fn batch_pdf(
    State(state): State<AppState>,
    PageQuery(ids): PageQuery<Ids>,
    signed: Signed,
) -> Response {
    match batch::combined_pdf(&state.db, &state.certificates, &signed.principal, &ids.ids).await {
        Ok(bytes) => pdf("certificados", bytes),
        Err(error) => refused(&signed, error),
    }
}
