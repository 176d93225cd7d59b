//! Checking a certificate: by its QR (the signature, then its status) or by its virtual code
//! (validity, IE and date; the whole content only with the student's document number too).
//! Throttled per client address and written to the audit trail (never the document number).
//! A certificate verified before is answered from memory (`standing`), its audit event written
//! with those of other verifications in one statement, before the answer.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use entity::certificate::{self, CertificateStatus};

use super::{
    Certificates,
    issue::{by_code, find, scope_of},
    payload::CertificateContent,
    qr,
    signing::Invalid,
    standing::{Known, Revoked},
};
use crate::{
    error::{ErrorCode, Result},
    record::{AuditAction, Event},
    state::AppState,
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

async fn throttle(service: &Certificates, address: &str) -> Result<()> {
    service
        .verifications
        .hit(address, ErrorCode::TooManyVerifications)
        .await
}

/// Sets the status on a verification whose signature checked: `revoked` when the certificate
/// no longer stands.
fn with_status(mut v: Verification, revoked: Option<&Revoked>) -> Verification {
    match revoked.map(|r| (r, r.status)) {
        None | Some((_, CertificateStatus::Valid)) => {
            v.status = "vigente".into();
            v.valid = v.signature_valid;
        }
        Some((r, CertificateStatus::Annulled)) => {
            v.status = "anulado".into();
            v.reason = Some("El certificado fue anulado por la IE.".into());
            v.reason_code = Some("annulled".into());
            v.annul_reason = r.annul_reason.clone();
        }
        Some((r, CertificateStatus::Superseded)) => {
            v.status = "reemplazado".into();
            v.reason = Some("El certificado fue reemplazado por uno corregido.".into());
            v.reason_code = Some("superseded".into());
            v.annul_reason = r.annul_reason.clone();
            v.superseded_by = r.superseded_by.clone();
        }
    }
    v
}

/// A verification whose signature checked, of a certificate this server does not hold.
fn unregistered(mut v: Verification) -> Verification {
    v.status = "no_registrado".into();
    v.reason =
        Some("La firma es válida, pero este servidor no tiene registrado el certificado.".into());
    v.reason_code = Some("unknown_code".into());
    v
}

/// What never changes about a certificate read from its row: remembered from an earlier
/// verification, else read once.
async fn known_of(state: &AppState, c: &certificate::Model) -> Result<Known> {
    let standing = &state.certificates.standing;
    if let Some(known) = standing.known(&c.virtual_code) {
        return Ok(known);
    }
    let known = Known {
        id: c.id,
        unit: scope_of(&state.db, c).await?.target,
    };
    standing.remember(&c.virtual_code, known);
    Ok(known)
}

/// Whether a certificate read from its row no longer stands: the row is the freshest word.
async fn revoked_in_row(state: &AppState, c: &certificate::Model) -> Result<Option<Arc<Revoked>>> {
    if c.status == CertificateStatus::Valid {
        return Ok(None);
    }
    let standing = &state.certificates.standing;
    if let Some(revoked) = standing.revoked(&c.virtual_code) {
        return Ok(Some(revoked));
    }
    let superseded_by = match c.superseded_by {
        Some(id) => find(&state.db, id).await.ok().map(|n| n.virtual_code),
        None => None,
    };
    let revoked = Revoked {
        id: c.id,
        virtual_code: c.virtual_code.clone(),
        status: c.status,
        status_changed_at: c.status_changed_at,
        status_category: c.status_category.clone(),
        annul_reason: c.annul_reason.clone(),
        superseded_by,
    };
    standing.note(revoked.clone());
    Ok(Some(Arc::new(revoked)))
}

/// What is known of the certificate with this code and whether it no longer stands: from memory
/// when it was verified before (its status then from the set of those that no longer stand, which
/// this server updates as it annuls and corrects, and refreshes from the others), else from its
/// row. `None` when there is no such certificate.
async fn standing_of(
    state: &AppState,
    code: &str,
) -> Result<Option<(Known, Option<Arc<Revoked>>)>> {
    let standing = &state.certificates.standing;
    if let Some(known) = standing.known(code) {
        return Ok(Some((known, standing.revoked(code))));
    }
    let Some(c) = by_code(&state.db, code).await? else {
        return Ok(None);
    };
    let known = known_of(state, &c).await?;
    Ok(Some((known, revoked_in_row(state, &c).await?)))
}

/// Writes the verification's audit event, and returns once it is committed (written with those
/// of other verifications: a group commit).
async fn audit(state: &AppState, known: Option<Known>, via: &str, v: &Verification) -> Result<()> {
    let mut event = Event::new(AuditAction::CertificateVerified, known.map(|k| k.id))
        .after(&serde_json::json!({"via": via, "status": v.status, "reason_code": v.reason_code}));
    if let Some(known) = known {
        event = event.in_unit(known.unit);
    }
    state.audit.append(event).await
}

/// Verifies the payload of a QR (or the whole QR text).
pub async fn by_payload(state: &AppState, text: &str, address: &str) -> Result<Verification> {
    let service = &state.certificates;
    throttle(service, address).await?;
    let checked = qr::decode_payload(qr::payload_of(text))
        .ok_or(Invalid::Malformed)
        .and_then(|cose| service.ring.keys().verify(&cose));
    let (v, known) = match checked {
        Err(why) => (Verification::from_invalid(why), None),
        Ok((content, kid)) => {
            let standing = standing_of(state, &content.virtual_code).await?;
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
            match standing {
                None => (unregistered(v), None),
                Some((known, revoked)) => (with_status(v, revoked.as_deref()), Some(known)),
            }
        }
    };
    audit(state, known, "qr", &v).await?;
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
    state: &AppState,
    code: &str,
    document: Option<&str>,
    address: &str,
) -> Result<Verification> {
    let service = &state.certificates;
    throttle(service, address).await?;
    let code = normalize_code(code);
    let stored = if code.is_empty() || code.len() > 16 {
        None
    } else {
        by_code(&state.db, &code).await?
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
                    with_status(v, revoked_in_row(state, c).await?.as_deref())
                }
            }
        },
    };
    let via = if document.is_some() {
        "code_and_document"
    } else {
        "code"
    };
    let known = match &stored {
        Some(c) => Some(known_of(state, c).await?),
        None => None,
    };
    audit(state, known, via, &v).await?;
    Ok(v)
}
