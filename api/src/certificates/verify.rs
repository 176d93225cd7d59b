//! Checking a certificate: by its QR (the signature, then its status) or by its virtual code
//! (validity, IE and date; the whole content only with the student's document number too).
//! Throttled per client address and written to the audit trail (never the document number).

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use entity::certificate::{self, CertificateStatus};

use super::{
    Certificates,
    issue::{by_code, scope_of},
    payload::CertificateContent,
    qr,
    signing::Invalid,
};
use crate::{
    error::{ApiError, ErrorCode, Result},
    record::{AuditAction, Change, Event, record},
};

/// The answer of a verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    /// The signature checks and the certificate stands (vigente).
    pub valid: bool,
    /// The signature checks (the content is what was issued).
    pub signature_valid: bool,
    /// `vigente`, `anulado`, `reemplazado`, `no_registrado`, `no_valido` or
    /// `documento_no_coincide`.
    pub status: String,
    /// Why it is not valid, in Spanish.
    pub reason: Option<String>,
    /// A machine code for `reason`: `malformed`, `unknown_key`, `bad_signature`,
    /// `outside_key_window`, `key_revoked`, `unknown_code`, `annulled`, `superseded`,
    /// `document_mismatch`.
    pub reason_code: Option<String>,
    pub virtual_code: Option<String>,
    pub school_name: Option<String>,
    pub school_code: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub annul_reason: Option<String>,
    /// The virtual code of the certificate that replaced this one.
    pub superseded_by: Option<String>,
    /// The id of the key that signed it.
    pub key_id: Option<String>,
    /// Everything the certificate states (from the QR, or by code with the document number).
    pub content: Option<CertificateContent>,
    /// Set when a document number was given and does not match: then nothing of the
    /// certificate is told, and `valid` is false.
    pub document_mismatch: bool,
    /// What this answer proves and what it does not, in Spanish (by code alone: that a
    /// certificate with this code stands, not that a paper is that certificate).
    pub proves: Option<String>,
}

/// What a verification by code alone proves, and what it does not.
pub const CODE_ONLY_PROVES: &str = "Esto prueba que existe un certificado con este código virtual, emitido por la institución educativa y en la fecha que se muestran, y su estado. No prueba que el papel que tiene a la vista sea ese certificado: no muestra el nombre del estudiante ni sus notas. Para comprobarlos, escanee el código QR del certificado o escriba también el DNI o código del estudiante.";

/// What a verification of the signed content proves.
pub const CONTENT_PROVES: &str = "La firma digital del MINEDU corresponde a este contenido: compare el nombre, los años y las notas con el papel.";

impl Verification {
    fn invalid(code: &str, reason: &str) -> Self {
        Self {
            valid: false,
            signature_valid: false,
            status: "no_valido".into(),
            reason: Some(reason.into()),
            reason_code: Some(code.into()),
            virtual_code: None,
            school_name: None,
            school_code: None,
            issued_on: None,
            annul_reason: None,
            superseded_by: None,
            key_id: None,
            content: None,
            document_mismatch: false,
            proves: None,
        }
    }

    fn from_invalid(why: Invalid) -> Self {
        Self::invalid(why.code(), why.reason())
    }
}

fn throttle(service: &Certificates, address: &str) -> Result<()> {
    service.verifications.hit(address).map_err(|seconds| {
        ApiError::from(ErrorCode::TooManyVerifications).with_retry_after(seconds)
    })
}

/// Sets the stored status of a certificate on a verification whose signature checked.
async fn with_status(
    db: &sea_orm::DatabaseConnection,
    mut v: Verification,
    stored: Option<&certificate::Model>,
) -> Result<Verification> {
    let Some(c) = stored else {
        v.status = "no_registrado".into();
        v.reason = Some(
            "La firma es válida, pero este servidor no tiene registrado el certificado.".into(),
        );
        v.reason_code = Some("unknown_code".into());
        return Ok(v);
    };
    match c.status {
        CertificateStatus::Valid => {
            v.status = "vigente".into();
            v.valid = v.signature_valid;
        }
        CertificateStatus::Annulled => {
            v.status = "anulado".into();
            v.reason = Some("El certificado fue anulado por la IE.".into());
            v.reason_code = Some("annulled".into());
            v.annul_reason = c.annul_reason.clone();
        }
        CertificateStatus::Superseded => {
            v.status = "reemplazado".into();
            v.reason = Some("El certificado fue reemplazado por uno corregido.".into());
            v.reason_code = Some("superseded".into());
            v.annul_reason = c.annul_reason.clone();
            if let Some(id) = c.superseded_by {
                v.superseded_by = super::issue::find(db, id)
                    .await
                    .ok()
                    .map(|n| n.virtual_code);
            }
        }
    }
    Ok(v)
}

async fn audit(
    db: &sea_orm::DatabaseConnection,
    stored: Option<&certificate::Model>,
    via: &str,
    v: &Verification,
) -> Result<()> {
    let mut event = Event::new(AuditAction::CertificateVerified, stored.map(|c| c.id))
        .after(&serde_json::json!({"via": via, "status": v.status, "reason_code": v.reason_code}));
    if let Some(c) = stored {
        event = event.in_unit(scope_of(db, c).await?.target);
    }
    record(db, Change::Audited(event)).await
}

/// Verifies the payload of a QR (or the whole QR text).
pub async fn by_payload(
    db: &sea_orm::DatabaseConnection,
    service: &Certificates,
    text: &str,
    address: &str,
) -> Result<Verification> {
    throttle(service, address)?;
    let checked = qr::decode_payload(qr::payload_of(text))
        .ok_or(Invalid::Malformed)
        .and_then(|cose| service.ring.keys().verify(&cose));
    let (v, stored) = match checked {
        Err(why) => (Verification::from_invalid(why), None),
        Ok((content, kid)) => {
            let stored = by_code(db, &content.virtual_code).await?;
            let v = Verification {
                valid: false,
                signature_valid: true,
                status: String::new(),
                reason: None,
                reason_code: None,
                virtual_code: Some(content.virtual_code.clone()),
                school_name: Some(content.school_name.clone()),
                school_code: Some(content.school_code.clone()),
                issued_on: Some(content.issued_on),
                annul_reason: None,
                superseded_by: None,
                key_id: Some(kid),
                content: Some(content),
                document_mismatch: false,
                proves: Some(CONTENT_PROVES.into()),
            };
            (with_status(db, v, stored.as_ref()).await?, stored)
        }
    };
    audit(db, stored.as_ref(), "qr", &v).await?;
    Ok(v)
}

/// The virtual code as people type it: capitals, no spaces or dashes.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Verifies by virtual code; with the student's document number, the whole content.
pub async fn by_code_and_document(
    db: &sea_orm::DatabaseConnection,
    service: &Certificates,
    code: &str,
    document: Option<&str>,
    address: &str,
) -> Result<Verification> {
    throttle(service, address)?;
    let code = normalize_code(code);
    let stored = if code.is_empty() || code.len() > 16 {
        None
    } else {
        by_code(db, &code).await?
    };
    let v = match &stored {
        None => Verification::invalid(
            "unknown_code",
            "No existe un certificado con ese código virtual. Revise que lo haya escrito bien.",
        ),
        Some(c) => match service.ring.keys().verify(&c.cose) {
            Err(why) => Verification::from_invalid(why),
            Ok((content, kid)) => {
                let document = document.map(str::trim).filter(|d| !d.is_empty());
                if document.is_some_and(|d| d != c.student_document) {
                    let mut v = Verification::invalid(
                        "document_mismatch",
                        "El número de documento no corresponde al certificado con ese código: no se verificó nada. Revise el código y el documento, o escanee el código QR del certificado.",
                    );
                    v.status = "documento_no_coincide".into();
                    v.document_mismatch = true;
                    v
                } else {
                    let full = document.is_some();
                    let v = Verification {
                        valid: false,
                        signature_valid: true,
                        status: String::new(),
                        reason: None,
                        reason_code: None,
                        virtual_code: Some(content.virtual_code.clone()),
                        school_name: Some(content.school_name.clone()),
                        school_code: Some(content.school_code.clone()),
                        issued_on: Some(content.issued_on),
                        annul_reason: None,
                        superseded_by: None,
                        key_id: Some(kid),
                        content: full.then_some(content),
                        document_mismatch: false,
                        proves: Some(
                            if full {
                                CONTENT_PROVES
                            } else {
                                CODE_ONLY_PROVES
                            }
                            .into(),
                        ),
                    };
                    with_status(db, v, Some(c)).await?
                }
            }
        },
    };
    let via = if document.is_some() {
        "code_and_document"
    } else {
        "code"
    };
    audit(db, stored.as_ref(), via, &v).await?;
    Ok(v)
}
