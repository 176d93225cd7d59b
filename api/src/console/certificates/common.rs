//! What the certificate pages share: dates in Lima, the Spanish names of states, and the pages of
//! a refusal and of something not found.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use entity::certificate::CertificateStatus;

use crate::console::{layout::message_page, session::Signed, ticket_view::spanish};
use crate::{error::ApiError, time::LIMA};

pub(super) fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&LIMA).format("%d/%m/%Y").to_string()
}

pub(super) fn state_label(state: &str) -> &'static str {
    match state {
        "informacion_completa" => "Información completa",
        "informacion_incompleta" => "Información incompleta",
        "por_emitir" => "Por emitir",
        "emitido" => "Emitido",
        "rechazado" => "Rechazado",
        _ => "",
    }
}

pub(super) fn certificate_status(status: CertificateStatus) -> &'static str {
    match status {
        CertificateStatus::Valid => "Vigente",
        CertificateStatus::Annulled => "Anulado",
        _ => "Reemplazado por una corrección",
    }
}

pub(super) fn not_found(signed: &Signed) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        Some(&signed.person()),
        "No encontrado",
        "No encontramos esa solicitud o ese certificado, o no está a su alcance.",
    )
}

/// A refusal of the service: out of reach is not found; anything else, said on a page.
pub(super) fn refused(signed: &Signed, error: ApiError) -> Response {
    match &error {
        ApiError::Client { .. }
            if matches!(
                error.status(),
                StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
            ) =>
        {
            not_found(signed)
        }
        ApiError::Client { .. } => message_page(
            error.status(),
            Some(&signed.person()),
            "No se pudo completar",
            &spanish(&error),
        ),
        ApiError::Internal(_) => error.into_response(),
    }
}

/// What a form did, shown once after the redirect.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    pub(super) hecho: String,
}

/// A step's form: its reason and, for an annulment, its category.
#[derive(Debug, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    pub(super) reason: String,
    #[serde(default)]
    pub(super) category: String,
}
