//! The offline verifier behind `siagie certificate verify`: a QR text (or the link inside a
//! certificate's PDF) checked against a published key set file, with no database.

use super::{
    payload::{CertificateContent, situation_label},
    qr,
    signing::{KeySet, PublishedKeySet},
};

/// The QR text inside a certificate's PDF: the link over its QR.
pub fn qr_text_of_pdf(bytes: &[u8]) -> Option<String> {
    let document = lopdf::Document::load_mem(bytes).ok()?;
    document
        .objects
        .values()
        .find_map(|object| uri_in(&document, object, 0))
}

/// A verification link anywhere inside an object (annotations may be inline or referenced).
fn uri_in(document: &lopdf::Document, object: &lopdf::Object, depth: u8) -> Option<String> {
    if depth > 6 {
        return None;
    }
    match object {
        lopdf::Object::Dictionary(dictionary) => {
            if let Ok(uri) = dictionary.get(b"URI").and_then(|u| u.as_str()) {
                let text = String::from_utf8_lossy(uri).into_owned();
                if text.to_ascii_uppercase().contains(qr::PATH_PREFIX) {
                    return Some(text);
                }
            }
            dictionary
                .iter()
                .filter(|(key, _)| matches!(key.as_slice(), b"Annots" | b"A"))
                .find_map(|(_, value)| uri_in(document, value, depth + 1))
        }
        lopdf::Object::Array(items) => items
            .iter()
            .find_map(|item| uri_in(document, item, depth + 1)),
        lopdf::Object::Reference(id) => document
            .get_object(*id)
            .ok()
            .and_then(|o| uri_in(document, o, depth + 1)),
        _ => None,
    }
}

/// Checks a QR text (or a PDF's path) against a key set; the report is Spanish, `Err` when the
/// certificate is not valid.
pub fn verify(input: &str, keys_json: &str) -> Result<String, String> {
    let published: PublishedKeySet = serde_json::from_str(keys_json)
        .map_err(|e| format!("El archivo de claves no se puede leer: {e}"))?;
    let keys = KeySet::from_published(&published)?;
    let text = if std::path::Path::new(input).is_file() {
        let bytes = std::fs::read(input).map_err(|e| format!("No se pudo leer {input}: {e}"))?;
        qr_text_of_pdf(&bytes).ok_or_else(|| {
            format!("{input} no contiene el enlace del código QR de un certificado.")
        })?
    } else {
        input.to_owned()
    };
    let cose = qr::decode_payload(qr::payload_of(&text)).ok_or_else(|| {
        "NO VÁLIDO: el código no se puede leer (incompleto o mal copiado).".to_owned()
    })?;
    let (content, kid) = keys
        .verify(&cose)
        .map_err(|why| format!("NO VÁLIDO: {}", why.reason()))?;
    Ok(report(&content, &kid))
}

/// The content of a certificate as text.
pub fn report(content: &CertificateContent, kid: &str) -> String {
    let mut out = String::new();
    out.push_str("VÁLIDO: la firma digital corresponde al contenido.\n");
    out.push_str(&format!("Clave firmante: {kid}\n"));
    out.push_str(&format!("Código virtual: {}\n", content.virtual_code));
    out.push_str(&format!(
        "IE: {} (código modular {})\n",
        content.school_name, content.school_code
    ));
    out.push_str(&format!(
        "Estudiante: {} — documento {}\n",
        content.student_name, content.masked_document
    ));
    out.push_str(&format!(
        "Fecha de emisión: {}\n",
        content.issued_on.format("%d/%m/%Y")
    ));
    if let Some(code) = &content.supersedes {
        out.push_str(&format!("Reemplaza al certificado {code}\n"));
    }
    for year in &content.years {
        out.push_str(&format!(
            "\n{} — {} — IE {} — {}{}\n",
            year.year,
            year.grade,
            year.codigo_modular,
            situation_label(&year.situation),
            year.transcribed
                .as_ref()
                .map(|t| format!(" (transcrito por {})", t.entered_by))
                .or_else(|| year
                    .regularized
                    .as_ref()
                    .map(|r| format!(" (regularización aprobada por {})", r.approved_by)))
                .unwrap_or_default()
        ));
        for area in &year.areas {
            out.push_str(&format!("  {}: {}\n", area.area, area.value));
        }
    }
    for o in &content.observations {
        out.push_str(&format!("\nObservación: {}\n", o.observation));
    }
    out.push_str(
        "\nEsta verificación no consulta si el certificado fue anulado o reemplazado después de emitido: \
         consulte la lista publicada o la página de verificación.\n",
    );
    out
}
