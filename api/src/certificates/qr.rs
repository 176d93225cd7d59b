//! The QR text of a certificate and its picture.
//!
//! The signed bytes go in unpadded RFC 4648 Base32 after a one-character format mark (`1`: the
//! COSE bytes as they are, `9`: deflated first, whichever is shorter), in a URL written all in
//! capitals — `HTTPS://HOST/V/<payload>` — so that the whole QR uses its alphanumeric mode and a
//! phone camera opens it as a link.

use std::io::{Read, Write};

use data_encoding::BASE32_NOPAD;
use flate2::{Compression, read::DeflateDecoder, write::DeflateEncoder};
use qrcode::{Color, EcLevel, QrCode};

/// The path prefix of the verification page.
pub const PATH_PREFIX: &str = "/V/";

/// Format marks: the first character of a payload.
const RAW: char = '1';
const DEFLATED: char = '9';

/// The largest COSE a deflated payload may inflate to (a bound against a crafted one).
const MAX_INFLATED: u64 = 16 * 1024;

/// The payload text of signed bytes: a format mark, then Base32.
pub fn encode_payload(cose: &[u8]) -> String {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
    let deflated = encoder
        .write_all(cose)
        .ok()
        .and_then(|()| encoder.finish().ok());
    match deflated {
        Some(small) if small.len() < cose.len() => {
            format!("{DEFLATED}{}", BASE32_NOPAD.encode(&small))
        }
        _ => format!("{RAW}{}", BASE32_NOPAD.encode(cose)),
    }
}

/// The signed bytes of a payload text (any case); `None` when it is not one.
pub fn decode_payload(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().to_ascii_uppercase();
    let mut chars = text.chars();
    let mark = chars.next()?;
    let bytes = BASE32_NOPAD.decode(chars.as_str().as_bytes()).ok()?;
    match mark {
        RAW => Some(bytes),
        DEFLATED => {
            let mut out = Vec::new();
            DeflateDecoder::new(bytes.as_slice())
                .take(MAX_INFLATED + 1)
                .read_to_end(&mut out)
                .ok()?;
            (out.len() as u64 <= MAX_INFLATED).then_some(out)
        }
        _ => None,
    }
}

/// The text a certificate's QR holds: the verification page's address, in capitals.
pub fn qr_text(base_url: &str, payload: &str) -> String {
    format!("{}{PATH_PREFIX}{payload}", base_url.trim_end_matches('/')).to_ascii_uppercase()
}

/// The payload inside a QR text, a link or a bare payload.
pub fn payload_of(text: &str) -> &str {
    let text = text.trim();
    let upper = text.to_ascii_uppercase();
    let start = upper
        .rfind(PATH_PREFIX)
        .map_or(0, |i| i + PATH_PREFIX.len());
    let rest = &text[start..];
    rest.split(['?', '#', '/']).next().unwrap_or_default()
}

/// A QR code drawn as grey levels, one byte per module, its quiet zone included.
pub struct QrImage {
    /// Modules per side, with the 4-module border.
    pub side: usize,
    /// 0 black, 255 white, row by row.
    pub pixels: Vec<u8>,
    /// The QR version (1 to 40).
    pub version: i16,
}

/// The quiet zone around a QR, in modules.
const BORDER: usize = 4;

/// Draws a text as a QR code with error correction M; `None` when it does not fit one.
pub fn image(text: &str) -> Option<QrImage> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let version = match code.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
    };
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 2 * BORDER;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let (row, column) = (i / width + BORDER, i % width + BORDER);
            pixels[row * side + column] = 0;
        }
    }
    Some(QrImage {
        side,
        pixels,
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_round_trips_and_stays_in_the_alphanumeric_set() {
        let cose: Vec<u8> = (0..600u32).map(|i| (i * 7 % 251) as u8).collect();
        let payload = encode_payload(&cose);
        assert_eq!(decode_payload(&payload), Some(cose.clone()));
        assert_eq!(decode_payload(&payload.to_lowercase()), Some(cose));
        let text = qr_text("https://certificado.siagie.pe/", &payload);
        assert!(text.starts_with("HTTPS://CERTIFICADO.SIAGIE.PE/V/"));
        let alphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
        assert!(text.chars().all(|c| alphanumeric.contains(c)), "{text}");
        assert_eq!(payload_of(&text), payload);
        assert_eq!(payload_of(&format!("{text}?x=1")), payload);
        assert_eq!(payload_of(&payload), payload);
    }

    #[test]
    fn repetitive_bytes_are_deflated_and_garbage_is_refused() {
        let cose = vec![7u8; 500];
        let payload = encode_payload(&cose);
        assert!(payload.starts_with('9'));
        assert!(payload.len() < 100);
        assert_eq!(decode_payload(&payload), Some(cose));
        assert_eq!(decode_payload("1ABC0"), None);
        assert_eq!(decode_payload("X"), None);
        assert_eq!(decode_payload(""), None);
    }

    #[test]
    fn the_picture_has_its_quiet_zone() {
        let qr = image("HTTPS://EJEMPLO.PE/V/1ABCDEFGH").unwrap();
        assert_eq!(qr.pixels.len(), qr.side * qr.side);
        assert!(qr.pixels[..qr.side * BORDER].iter().all(|p| *p == 255));
        assert_eq!(qr.pixels[BORDER * qr.side + BORDER], 0, "finder corner");
    }
}
