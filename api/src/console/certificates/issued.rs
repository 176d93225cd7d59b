//! An issued certificate: its page, its PDF again, and its forms (annul, correct, resend the link).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::context;

use entity::certificate::CertificateStatus;

use super::common::{DoneQuery, StepForm, certificate_status, not_found, refused, when};
use crate::console::{
    layout::{PageQuery, pdf, render_wide},
    session::{Posted, Signed},
};
use crate::{
    certificates::{
        issue,
        revocation::{self, Annulment, Correction, StatusCategory},
    },
    error::ApiError,
    links::CERTIFICATES_PATH,
    state::AppState,
};

/// An issued certificate: its status, the PDF, and the forms to annul or correct it.
pub async fn certificate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageQuery(done): PageQuery<DoneQuery>,
    signed: Signed,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let view = match issue::read(&state.db, &state.certificates, &signed.principal, id).await {
        Ok(view) => view,
        Err(error) => return refused(&signed, error),
    };
    let categories = [
        ("error_de_emision", "Error de emisión"),
        ("datos_incorrectos", "Datos incorrectos"),
        ("duplicado", "Duplicado"),
        ("fraude", "Fraude"),
        ("otro", "Otro"),
    ];
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Certificado de estudios",
        "console_certificate.html",
        context! {
            code => &view.virtual_code,
            student => &view.student_name,
            document => &view.student_document,
            last_year => view.last_year,
            date => when(view.issued_at),
            status => certificate_status(view.status),
            valid => view.status == CertificateStatus::Valid,
            annul_reason => &view.annul_reason,
            superseded_by => &view.superseded_by,
            supersedes => &view.supersedes,
            base => format!("{CERTIFICATES_PATH}/{id}"),
            csrf => &signed.csrf,
            back => CERTIFICATES_PATH,
            categories => categories.iter().map(|(code, label)| context! { code, label }).collect::<Vec<_>>(),
            done => match done.hecho.as_str() {
                "emitir" => Some("Certificado emitido."),
                "anular" => Some("Certificado anulado: quien lo verifique lo verá anulado."),
                "corregir" => Some("Certificado corregido: este es el nuevo; el anterior figura como reemplazado."),
                _ => None,
            },
        },
    )
}

/// The certificate's PDF (with its QR), again.
pub async fn certificate_pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
    signed: Signed,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    match issue::download(&state.db, &state.certificates, &signed.principal, id).await {
        Ok((code, bytes)) => pdf(&format!("certificado-{code}"), bytes),
        Err(error) => refused(&signed, error),
    }
}

/// A certificate's forms: `anular`, `corregir`.
pub async fn certificate_step(
    State(state): State<AppState>,
    Path((id, step)): Path<(String, String)>,
    posted: Posted<StepForm>,
) -> Response {
    let Posted { signed, form } = posted;
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let p = &signed.principal;
    match step.as_str() {
        "anular" => {
            let category = match form.category.as_str() {
                "" => None,
                code => {
                    match serde_json::from_value::<StatusCategory>(serde_json::Value::from(code)) {
                        Ok(category) => Some(category),
                        Err(_) => {
                            return refused(
                                &signed,
                                ApiError::field("category", "Elija el motivo de la lista."),
                            );
                        }
                    }
                }
            };
            let annulment = Annulment {
                reason: form.reason,
                category,
            };
            match revocation::annul(&state.db, &state.certificates, p, id, annulment).await {
                Ok(_) => {
                    Redirect::to(&format!("{CERTIFICATES_PATH}/{id}?hecho=anular")).into_response()
                }
                Err(error) => refused(&signed, error),
            }
        }
        "corregir" => {
            let correction = Correction {
                reason: form.reason,
                years: None,
            };
            match revocation::correct(&state.db, &state.certificates, p, id, correction).await {
                Ok(view) => {
                    Redirect::to(&format!("{CERTIFICATES_PATH}/{}?hecho=corregir", view.id))
                        .into_response()
                }
                Err(error) => refused(&signed, error),
            }
        }
        _ => not_found(&signed),
    }
}
