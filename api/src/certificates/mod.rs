//! Mi Certificado (seed 003, DOMAIN.md §6): study certificates issued by an IE, each with a
//! virtual code and a QR holding a signed copy of what the paper says, which anyone can check
//! online and a verifier can check offline with the published keys.
//!
//! `payload` is what a certificate states and its CBOR; `signing` the keys and the COSE_Sign1;
//! `qr` the text and picture of the QR.

pub mod payload;
pub mod qr;
pub mod signing;

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use secrecy::SecretString;

    use super::{payload::tests::sample, qr, signing::KeyRing};

    #[test]
    fn a_five_year_certificate_fits_a_qr_that_prints_at_45_mm() {
        let ring = KeyRing::new(
            &SecretString::from(KeyRing::generate_seed()),
            NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            None,
        )
        .unwrap();
        let content = sample();
        let cbor = super::payload::encode(&content);
        let cose = ring.sign(&content);
        let payload = qr::encode_payload(&cose);
        let text = qr::qr_text("https://certificado.siagie.gob.pe", &payload);
        let image = qr::image(&text).unwrap();
        let module_mm = 45.0 / image.side as f64;
        eprintln!(
            "CBOR {} B, COSE {} B, payload {} chars ({}), QR version {}, {} modules with border, {module_mm:.2} mm per module at 45 mm",
            cbor.len(),
            cose.len(),
            payload.len(),
            if payload.starts_with('9') {
                "deflated"
            } else {
                "raw"
            },
            image.version,
            image.side
        );
        assert!(image.version <= 25, "version {}", image.version);
    }
}
