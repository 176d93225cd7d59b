//! Free text a person writes to argue a step (a baja, a modification, a situation other than the
//! one suggested): it says something only in letters and digits a reader sees.

/// The shortest argument, in letters and digits.
const MIN_ARGUMENT: usize = 10;

/// Whether `text` argues a step: at least [`MIN_ARGUMENT`] letters or digits, at most `max`
/// characters in all.
pub fn argued(text: &str, max: usize) -> bool {
    visible_len(text) >= MIN_ARGUMENT && text.chars().count() <= max && !has_control(text)
}

/// Whether `text` says something a reader sees: a letter or a digit at least, and no control
/// character (a note, a rejection's reason, a name).
pub fn said(text: &str) -> bool {
    visible_len(text) > 0 && !has_control(text)
}

/// Whether text holds a control character other than tab, line feed and carriage return (NUL
/// among them: PostgreSQL cannot store it, and no person typed it).
pub fn has_control(text: &str) -> bool {
    text.chars().any(forbidden_control)
}

/// A control character that text may not hold: all but tab, line feed and carriage return, and
/// the controls of bidirectional text (embeddings, overrides, isolates), which make a name or a
/// note show other than it reads ("Trojan source"); the plain marks (U+200E, U+200F) stay.
pub fn forbidden_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// What [`argued`] asks, as a message tells it: "al menos 10 letras o dígitos, hasta 500
/// caracteres".
pub fn argument_rule(max: usize) -> String {
    format!("al menos {MIN_ARGUMENT} letras o dígitos, hasta {max} caracteres")
}

/// The letters and decimal digits of `text`, of any script: what says something, unlike spaces,
/// marks (zero-width, combining, format, private-use characters), modifier letters that only
/// lengthen or mark another (ـ, ー, ʼ), number symbols (①, ½, ²) and the Hangul fillers, blank
/// on the page though classed as letters.
fn visible_len(text: &str) -> usize {
    use unicode_properties::{GeneralCategory as C, UnicodeGeneralCategory};
    text.chars()
        .filter(|c| {
            matches!(
                c.general_category(),
                C::UppercaseLetter
                    | C::LowercaseLetter
                    | C::TitlecaseLetter
                    | C::OtherLetter
                    | C::DecimalNumber
            ) && !filler(*c)
        })
        .count()
}

/// The Hangul fillers: letters by their class, blank on the page.
fn filler(c: char) -> bool {
    matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_controls_of_bidirectional_text_are_refused_and_its_marks_kept() {
        assert!(!said("Quispe\u{202E}aíraM"));
        assert!(has_control("Rosa \u{2067}Mamani\u{2069}"));
        assert!(said("Rosa\u{200E} Mamani"));
        assert!(said("Ñahui Ccori, tab\tand\nline"));
    }

    #[test]
    fn an_argument_counts_what_a_reader_sees() {
        assert!(argued("Término de contrato", 500));
        assert!(argued("Cese por renuncia", 17));
        assert!(!argued("Cese por renuncia", 16), "too long");
        assert!(!argued("Cese", 500));
        for invisible in [
            '\u{200B}',
            '\u{2800}',
            '\u{3164}',
            '\u{FEFF}',
            '\u{2060}',
            '\u{0301}',
            '\u{FFF9}',
            '\u{1BCA0}',
            '\u{0600}',
            '\u{1D159}',
            '\u{E000}',
            '\u{FFFC}',
            '\u{115F}',
            // Combining marks that Unicode classes as alphabetic.
            '\u{0345}',
            '\u{064B}',
            '\u{05B0}',
            '\u{0E31}',
            '\u{0F71}',
            '\u{0670}',
            '\u{1885}',
            // Modifier letters: a line, a dash, an apostrophe, a mark.
            '\u{0640}',
            '\u{30FC}',
            '\u{02C9}',
            '\u{02BC}',
            '\u{FF9E}',
            '\u{2E2F}',
            '\u{3005}',
            '\u{A67F}',
            // Number symbols.
            '①',
            '½',
            '²',
            'Ⅰ',
        ] {
            let blank: String = std::iter::repeat_n(invisible, 12).collect();
            assert!(!argued(&blank, 500), "{:?}", invisible);
        }
        assert!(
            !argued("a\u{200B}b\u{200B}c\u{200B}d e f g h i", 500),
            "nine seen"
        );
        assert!(
            argued("a\u{200B}b\u{200B}c\u{200B}d e f g h i j", 500),
            "ten seen"
        );
        assert_eq!(visible_len("\u{00A0}\u{3000} x \t"), 1);
        assert!(
            !argued("Cese por renuncia\u{7}", 500),
            "a bell says nothing more"
        );
        assert!(said("No") && said("7") && said("Falta la RD.\nRevise."));
        for nothing in [
            "",
            " \u{200B} ",
            "\u{3164}",
            "- . '",
            "ok\u{1B}[31m",
            "x\u{85}",
        ] {
            assert!(!said(nothing), "{nothing:?}");
        }
        for other_script in [
            "Перевод в другую школу",
            "因为家庭原因转学到其他学校",
            "नई नियुक्ति के कारण स्थानांतरण",
            "تم النقل إلى مدرسة أخرى",
            "Resolución 0456 de 2026",
        ] {
            assert!(argued(other_script, 500), "{other_script}");
        }
        assert_eq!(visible_len("RD N° 0456-2026, ¿válida?"), 17);
    }
}
