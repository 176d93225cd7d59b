//! A PDF checked whole in time and memory bounded by its size, whatever it would expand to: its
//! structure (header, cross-reference, trailer, end of file) read where it stands, and each
//! compressed stream inflated into nothing, counting, up to a bound. A file built to expand to
//! hundreds of megabytes (a "zip bomb" of spaces in an object stream) is refused after the bound,
//! having used a few kilobytes; a reader that loads the whole document would have held all of it.

use std::io::{Read, Write};

/// How many times its size a PDF's streams may expand to, together (text and scanned pages stay
/// far below; a bomb far above).
const MAX_EXPANSION: u64 = 64;
/// What any file may expand to at least (a small PDF of a few compressed pages).
const MIN_EXPANDED: u64 = 16 * 1024 * 1024;

/// Why a PDF was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAPdf {
    /// Not the structure of a complete PDF (truncated, or not one).
    Broken,
    /// Its compressed content expands far beyond what its size explains.
    Expands,
}

/// Checks a PDF: see the module's documentation.
pub fn check(bytes: &[u8]) -> Result<(), NotAPdf> {
    structure(bytes)?;
    let budget = (bytes.len() as u64)
        .saturating_mul(MAX_EXPANSION)
        .max(MIN_EXPANDED);
    let mut expanded = 0u64;
    let mut rest = bytes;
    while let Some(at) = find(rest, b"stream") {
        let (dictionary, after) = rest.split_at(at);
        let mut data = &after[b"stream".len()..];
        // The keyword is followed by CRLF or LF; "endstream" is not a stream's start.
        if dictionary.ends_with(b"end") {
            rest = data;
            continue;
        }
        data = data
            .strip_prefix(b"\r\n")
            .or_else(|| data.strip_prefix(b"\n"))
            .unwrap_or(data);
        let end = find(data, b"endstream").ok_or(NotAPdf::Broken)?;
        let start_of_dictionary = dictionary.windows(2).rposition(|w| w == b"<<").unwrap_or(0);
        if find(&dictionary[start_of_dictionary..], b"/FlateDecode").is_some() {
            expanded += inflated_size(&data[..end], budget - expanded.min(budget))?;
            if expanded > budget {
                return Err(NotAPdf::Expands);
            }
        }
        rest = &data[end + b"endstream".len()..];
    }
    Ok(())
}

/// The header, the `%%EOF` at the end, a `startxref` that points inside the file at a
/// cross-reference table or stream, and a trailer that names the document's root.
fn structure(bytes: &[u8]) -> Result<(), NotAPdf> {
    if !bytes.starts_with(b"%PDF-") {
        return Err(NotAPdf::Broken);
    }
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    let eof = rfind(tail, b"%%EOF").ok_or(NotAPdf::Broken)?;
    let start = rfind(&tail[..eof], b"startxref").ok_or(NotAPdf::Broken)?;
    let offset: usize = std::str::from_utf8(&tail[start + b"startxref".len()..eof])
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .ok_or(NotAPdf::Broken)?;
    let at = bytes.get(offset..).ok_or(NotAPdf::Broken)?;
    let table = at.starts_with(b"xref");
    let stream = at
        .iter()
        .take(32)
        .position(|b| *b == b'o')
        .is_some_and(|o| at[o..].starts_with(b"obj"));
    if !(table || stream) || find(bytes, b"/Root").is_none() {
        return Err(NotAPdf::Broken);
    }
    Ok(())
}

/// How many bytes a Flate stream inflates to, reading at most `limit` + 1 of them into nothing.
fn inflated_size(data: &[u8], limit: u64) -> Result<u64, NotAPdf> {
    let mut decoder = flate2::read::ZlibDecoder::new(data).take(limit.saturating_add(1));
    let mut sink = Counter(0);
    match std::io::copy(&mut decoder, &mut sink) {
        Ok(count) => Ok(count),
        // A damaged stream is the reader's problem, not a bomb: count what came out.
        Err(_) => Ok(sink.0),
    }
}

struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-page PDF whose content stream is `content`, compressed.
    fn pdf_with_stream(content: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(content).unwrap();
        let stream = encoder.finish().unwrap();
        let mut pdf = b"%PDF-1.5\n".to_vec();
        let mut offsets = Vec::new();
        for object in [
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
            [
                format!(
                    "<< /Length {} /Filter /FlateDecode >>\nstream\n",
                    stream.len()
                )
                .into_bytes(),
                stream.clone(),
                b"\nendstream".to_vec(),
            ]
            .concat(),
        ]
        .iter()
        .enumerate()
        {
            offsets.push(pdf.len());
            pdf.extend(format!("{} 0 obj\n", object.0 + 1).bytes());
            pdf.extend(object.1);
            pdf.extend(b"\nendobj\n");
        }
        let xref = pdf.len();
        pdf.extend(b"xref\n0 5\n0000000000 65535 f \n");
        for offset in offsets {
            pdf.extend(format!("{offset:010} 00000 n \n").bytes());
        }
        pdf.extend(
            format!("trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").bytes(),
        );
        pdf
    }

    #[test]
    fn a_small_pdf_with_compressed_text_passes() {
        let pdf = pdf_with_stream(b"BT /F1 12 Tf 72 712 Td (Resolucion Directoral) Tj ET");
        assert_eq!(check(&pdf), Ok(()));
    }

    #[test]
    fn a_pdf_that_expands_hundreds_of_times_its_size_is_refused() {
        let pdf = pdf_with_stream(&vec![b' '; 24 * 1024 * 1024]);
        assert!(pdf.len() < 200 * 1024, "{}", pdf.len());
        assert_eq!(check(&pdf), Err(NotAPdf::Expands));
    }

    #[test]
    fn a_truncated_or_false_pdf_is_refused() {
        let pdf = pdf_with_stream(b"BT ET");
        assert_eq!(check(&pdf[..pdf.len() - 20]), Err(NotAPdf::Broken));
        assert_eq!(check(b"%PDF-1.4\nhola"), Err(NotAPdf::Broken));
        let mut wrong_offset = pdf.clone();
        let at = rfind(&wrong_offset, b"startxref").unwrap() + 10;
        wrong_offset[at] = b'9';
        assert_eq!(check(&wrong_offset), Err(NotAPdf::Broken));
    }
}
