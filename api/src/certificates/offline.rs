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
    document.objects.values().find_map(|object| {
        let dictionary = object.as_dict().ok()?;
        let action = match dictionary.get(b"A") {
            Ok(lopdf::Object::Reference(id)) => document.get_object(*id).ok()?.as_dict().ok()?,
            Ok(other) => other.as_dict().ok()?,
            Err(_) => dictionary,
        };
        let uri = action.get(b"URI").ok()?.as_str().ok()?;
        let text = String::from_utf8_lossy(uri).into_owned();
        text.to_ascii_uppercase()
            .contains(qr::PATH_PREFIX)
            .then_some(text)
    })
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
