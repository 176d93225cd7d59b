//! Personal data in text the knowledge base would publish: DNIs (8 digits), Peruvian phone
//! numbers (mobiles of 9 digits starting with 9, landlines with their area code, `+51` or not)
//! and e-mail addresses. A draft drawn from a ticket gets placeholders instead; an article that
//! still holds any is refused.
//!
//! The rules, chosen to keep what an article needs (a código modular of 7 digits, a ticket
//! number, a year, a date, a resolution's number) and to take out what identifies a person:
//! - a DNI is a run of exactly 8 digits;
//! - a phone is a number, its groups split by single spaces, hyphens or dots, that reads as a
//!   mobile (9 digits from a 9), a landline with its area code (`01` + 7 digits, `0XX` + 6, the
//!   code maybe in parentheses) or either after `+51`; a local landline without its code (6 or 7
//!   digits in groups, such as `615-5800`) only after a word that announces a phone ("teléfono",
//!   "telf.", "fijo", "llame", "celular", …);
//! - an e-mail address is `local@domain.tld`.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// What kind of personal data was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Dni,
    Telefono,
    Correo,
}

impl Kind {
    /// What replaces it in a draft.
    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::Dni => "[DNI]",
            Kind::Telefono => "[teléfono]",
            Kind::Correo => "[correo]",
        }
    }

    /// Its name in a message.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Dni => "un DNI",
            Kind::Telefono => "un número de teléfono",
            Kind::Correo => "una dirección de correo",
        }
    }
}

/// A text with its personal data replaced by placeholders, and how many of each kind it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scrubbed {
    pub text: String,
    pub found: BTreeMap<Kind, usize>,
}

/// Replaces the personal data of a text with placeholders.
pub fn scrub(text: &str) -> Scrubbed {
    let mut found = BTreeMap::new();
    let without_mail = emails(text, &mut found);
    let text = numbers(&without_mail, &mut found);
    Scrubbed { text, found }
}

/// The kinds of personal data a text holds, in order (none: it may be published).
pub fn kinds(text: &str) -> Vec<Kind> {
    scrub(text).found.into_keys().collect()
}

/// The message for a field that holds personal data.
pub fn message(kinds: &[Kind]) -> String {
    let labels: Vec<&str> = kinds.iter().map(|k| k.label()).collect();
    let placeholders: Vec<&str> = kinds.iter().map(|k| k.placeholder()).collect();
    format!(
        "Contiene datos personales ({}): quítelos o reemplácelos por {} antes de guardar.",
        join(&labels),
        join(&placeholders)
    )
}

fn join(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} y {last}", rest.join(", ")),
    }
}

fn is_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// Replaces `local@domain.tld` with `[correo]`.
fn emails(text: &str, found: &mut BTreeMap<Kind, usize>) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '@' {
            i += 1;
            continue;
        }
        let mut start = i;
        while start > copied && is_local(chars[start - 1]) {
            start -= 1;
        }
        while start < i && matches!(chars[start], '.' | '-' | '+') {
            start += 1;
        }
        let mut end = i + 1;
        while end < chars.len() && is_domain(chars[end]) {
            end += 1;
        }
        // A sentence's full stop is not the domain's.
        while end > i + 1 && matches!(chars[end - 1], '.' | '-') {
            end -= 1;
        }
        let domain: String = chars[i + 1..end].iter().collect();
        let tld_ok = domain.rsplit_once('.').is_some_and(|(name, tld)| {
            !name.is_empty() && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
        });
        if start < i && tld_ok {
            out.extend(&chars[copied..start]);
            out.push_str(Kind::Correo.placeholder());
            *found.entry(Kind::Correo).or_default() += 1;
            copied = end;
            i = end;
        } else {
            i += 1;
        }
    }
    out.extend(&chars[copied..]);
    out
}

/// Words before a local landline that say it is a phone.
const PHONE_CUES: &[&str] = &[
    "tel", "fono", "fijo", "llam", "celular", "cel.", "cel:", "movil", "móvil", "whatsapp",
    "contacto",
];

/// A number as written: its digit groups (start and end in the text's characters) and whether
/// it began with `+` or an area code in parentheses.
struct Span {
    start: usize,
    end: usize,
    groups: Vec<(usize, usize)>,
}

impl Span {
    fn digits(&self, chars: &[char]) -> String {
        self.groups
            .iter()
            .flat_map(|&(a, b)| chars[a..b].iter())
            .collect()
    }
}

/// Reads a number starting at `i` (a digit, `+` or `(` before a digit).
fn span_at(chars: &[char], i: usize) -> Option<Span> {
    let digit = |k: usize| chars.get(k).is_some_and(|c| c.is_ascii_digit());
    let run = |mut k: usize| {
        while digit(k) {
            k += 1;
        }
        k
    };
    let mut k = i;
    if chars[k] == '+' {
        k += 1;
    }
    let mut groups = Vec::new();
    if chars.get(k) == Some(&'(') && digit(k + 1) {
        let end = run(k + 1);
        if chars.get(end) != Some(&')') {
            return None;
        }
        groups.push((k + 1, end));
        k = end + 1;
        if chars.get(k).is_some_and(|c| matches!(c, ' ' | '-' | '.')) && digit(k + 1) {
            k += 1;
        }
        if !digit(k) {
            return None;
        }
    }
    if !digit(k) {
        return None;
    }
    loop {
        let end = run(k);
        groups.push((k, end));
        k = end;
        if chars.get(k).is_some_and(|c| matches!(c, ' ' | '-' | '.')) && digit(k + 1) {
            k += 1;
        } else {
            break;
        }
    }
    Some(Span {
        start: i,
        end: k,
        groups,
    })
}

/// Whether the digits of a whole number read as a Peruvian phone.
fn is_phone(digits: &str, international: bool) -> bool {
    let d = digits.as_bytes();
    let landline_code = |c: u8| c == b'1' || (b'4'..=b'8').contains(&c);
    let national = |d: &[u8]| {
        (d.len() == 9 && d[0] == b'9') || (d.len() == 9 && d[0] == b'0' && landline_code(d[1]))
    };
    if national(d) {
        return true;
    }
    let after_country = if let Some(rest) = digits.strip_prefix("0051") {
        Some(rest)
    } else if international || d.len() >= 10 {
        digits.strip_prefix("51")
    } else {
        None
    };
    after_country.is_some_and(|rest| {
        let r = rest.as_bytes();
        (r.len() == 9 && r[0] == b'9') || (r.len() == 8 && landline_code(r[0]))
    })
}

fn announced(chars: &[char], start: usize) -> bool {
    let before: String = chars[start.saturating_sub(24)..start]
        .iter()
        .collect::<String>()
        .to_lowercase();
    PHONE_CUES.iter().any(|cue| before.contains(cue))
}

/// Replaces phones and DNIs with their placeholders.
fn numbers(text: &str, found: &mut BTreeMap<Kind, usize>) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit()
            || (matches!(chars[i], '+' | '(')
                && chars
                    .get(i + 1)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '('));
        let Some(span) = starts.then(|| span_at(&chars, i)).flatten() else {
            i += 1;
            continue;
        };
        let digits = span.digits(&chars);
        let local = (6..=7).contains(&digits.len())
            && span.groups.len() >= 2
            && !digits.starts_with('0')
            && announced(&chars, span.start);
        if is_phone(&digits, chars[span.start] == '+') || local {
            out.extend(&chars[copied..span.start]);
            out.push_str(Kind::Telefono.placeholder());
            *found.entry(Kind::Telefono).or_default() += 1;
            copied = span.end;
        } else {
            // Not a phone as a whole: any group of it may still be a DNI or a mobile.
            for &(a, b) in &span.groups {
                let group: String = chars[a..b].iter().collect();
                let kind = match group.len() {
                    8 => Kind::Dni,
                    9 if group.starts_with('9') => Kind::Telefono,
                    _ => continue,
                };
                out.extend(&chars[copied..a]);
                out.push_str(kind.placeholder());
                *found.entry(kind).or_default() += 1;
                copied = b;
            }
        }
        i = span.end.max(i + 1);
    }
    out.extend(&chars[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrubbed(text: &str) -> String {
        scrub(text).text
    }

    #[test]
    fn dnis_phones_and_e_mails_become_placeholders() {
        assert_eq!(
            scrubbed("El alumno con DNI 45678912 no aparece."),
            "El alumno con DNI [DNI] no aparece."
        );
        assert_eq!(scrubbed("DNI45678912-5"), "DNI[DNI]-5");
        for phone in [
            "987654321",
            "987 654 321",
            "987-654-321",
            "+51 987 654 321",
            "+51987654321",
            "51987654321",
            "0051 987654321",
            "(01) 615-5800",
            "01 615 5800",
            "016155800",
            "(076) 36-1234",
            "076-361234",
            "+51 1 615 5800",
            "+51 76 361234",
        ] {
            assert_eq!(
                scrubbed(&format!("Llámeme al {phone}, por favor.")),
                "Llámeme al [teléfono], por favor.",
                "{phone}"
            );
            assert_eq!(
                scrubbed(&format!("Número {phone}.")),
                "Número [teléfono].",
                "{phone}"
            );
        }
        assert_eq!(
            scrubbed("Teléfono fijo: 615-5800."),
            "Teléfono fijo: [teléfono]."
        );
        assert_eq!(
            scrubbed("Escriba a maria.quispe@gmail.com."),
            "Escriba a [correo]."
        );
        assert_eq!(
            scrubbed("<jperez-1@ugel.gob.pe>, 45678912@hotmail.com"),
            "<[correo]>, [correo]"
        );
        let s = scrub("DNI 45678912 y 12345678, cel 987654321, a@b.pe");
        assert_eq!(s.found[&Kind::Dni], 2);
        assert_eq!(s.found[&Kind::Telefono], 1);
        assert_eq!(s.found[&Kind::Correo], 1);
    }

    #[test]
    fn codes_numbers_years_and_dates_stay() {
        for text in [
            "La IE 0412345 (anexo 0) no ve el ticket ISOS-2026-000123.",
            "Revise la RD 0123-2026 y la RD N.° 12-2026-UGEL.",
            "Desde el 16/06/2027 y en 2027-06-16, año 2027.",
            "Solicitud 0b7c9f1e-1234 de la versión 2.3.1.",
            "Se registraron 615-5800 marcas.",
            "Escriba al correo de la IE (usuario@ie).",
            "Grados 1 2 3 y secciones A B.",
        ] {
            assert_eq!(scrubbed(text), text);
            assert!(kinds(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn the_message_names_every_kind_and_its_placeholder() {
        let m = message(&[Kind::Dni, Kind::Telefono, Kind::Correo]);
        assert!(
            m.contains("un DNI, un número de teléfono y una dirección de correo"),
            "{m}"
        );
        assert!(m.contains("[DNI], [teléfono] y [correo]"), "{m}");
    }
}
