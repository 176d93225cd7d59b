//! Free text a person writes to argue a step (a baja, a modification, a situation other than the
//! one suggested): it says something only with characters a reader sees.

/// The shortest argument, in visible characters.
pub const MIN_ARGUMENT: usize = 10;

/// Whether `text` argues a step: at least [`MIN_ARGUMENT`] visible characters, at most `max`
/// characters in all.
pub fn argued(text: &str, max: usize) -> bool {
    visible_len(text) >= MIN_ARGUMENT && text.chars().count() <= max
}

/// The characters of `text` a reader sees: neither spaces nor the invisible ones (zero-width
/// marks, direction marks, the braille blank, fillers, variation selectors, tags).
pub fn visible_len(text: &str) -> usize {
    text.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control() && !invisible(*c))
        .count()
}

fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_argument_counts_what_a_reader_sees() {
        assert!(argued("Término de contrato", 500));
        assert!(argued("Cese por renuncia", 17));
        assert!(!argued("Cese por renuncia", 16), "too long");
        assert!(!argued("Cese", 500));
        for invisible in ['\u{200B}', '\u{2800}', '\u{3164}', '\u{FEFF}', '\u{2060}'] {
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
    }
}
