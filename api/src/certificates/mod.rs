//! Mi Certificado (docs/domain.md §6, docs/certificates.md): study certificates issued by an IE,
//! each with a virtual code and a QR holding a signed copy of what the paper says, which anyone can
//! check online and a verifier can check offline with the published keys.
//!
//! `payload` is what a certificate states and its CBOR; `signing` the keys and the COSE_Sign1;
//! `qr` the text and picture of the QR; `pdf` the printed certificate. `requests` holds the
//! requests and their typed-in `years` (with `record` the one reader of the years closed actas
//! give); `issue` issues, previews, annuls and corrects; `verify` checks; `lists` searches;
//! `settings` is the director's configuration; `public` the requests of people without an
//! account; `offline` the verifier of the `siagie certificate verify` command. `routes` is the
//! JSON API, `page` the public pages; below both, `answer` holds the pages' paths and the PDF
//! answer, `download` a public request's single-use link (sent by issuing and by the public
//! requests), and `service` what the handlers share through the application state, `standing` the status of
//! certificates held in memory for verifications, `published` the signed lists' entity tags.

mod access;
mod answer;
pub mod batch;
pub mod completeness;
mod download;
pub mod issue;
pub mod lists;
mod mail;
pub mod offline;
mod page;
pub mod payload;
pub mod pdf;
pub mod public;
mod published;
pub mod qr;
pub mod record;
pub mod request_years;
pub mod requests;
pub mod revocation;
mod routes;
pub mod service;
pub mod settings;
pub mod signing;
pub mod standing;
mod throttle;
pub mod verify;
pub mod years;

pub use page::{StatusEntry, router as pages};
pub use routes::router;
pub use service::Certificates;

/// Whether a request path holds a certificate's signed content (the QR's page), which logs leave
/// out.
pub fn page_carries_content(path: &str) -> bool {
    path.len() > qr::PATH_PREFIX.len()
        && path
            .get(..qr::PATH_PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(qr::PATH_PREFIX))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use secrecy::SecretString;

    use super::{payload::tests::sample, qr, signing::KeyRing};

    #[test]
    fn the_qr_page_path_is_recognised_to_keep_it_out_of_logs() {
        assert!(super::page_carries_content("/V/9ABC"));
        assert!(super::page_carries_content("/v/9ABC"));
        assert!(!super::page_carries_content("/verificar"));
        assert!(!super::page_carries_content("/ñ"));
    }

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
