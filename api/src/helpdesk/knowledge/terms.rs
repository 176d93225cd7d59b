//! The words a search matches: folded without accents, stop words left out, each with its stem so
//! that inflections meet ("bloqueado" and "bloqueo").

use std::collections::HashSet;

const STOPWORDS: &[&str] = &[
    "que", "los", "las", "del", "con", "por", "para", "una", "uno", "unos", "unas", "como", "mas",
    "pero", "sus", "este", "esta", "estos", "estas", "ese", "esa", "eso", "hay", "muy", "sin",
    "sobre", "entre", "cuando", "donde", "porque", "desde", "hasta", "tambien", "mis", "nos",
    "les", "ellos", "ella", "usted", "ustedes", "puedo", "puede", "tengo", "tiene", "hace", "ser",
    "fue", "son", "esta", "estoy", "todo", "todos", "nada", "algo", "cual", "quien", "favor",
    "buenos", "buenas", "dias", "tardes", "hola", "gracias", "sistema", "siagie",
];

const SUFFIXES: &[&str] = &[
    "amientos", "imientos", "amiento", "imiento", "aciones", "uciones", "acion", "ucion", "adoras",
    "adores", "adora", "ador", "ancias", "ancia", "mente", "ables", "ibles", "able", "ible",
    "istas", "ista", "ados", "adas", "idos", "idas", "ado", "ada", "ido", "ida", "ando", "iendo",
    "ar", "er", "ir", "os", "as", "es", "o", "a", "e", "s",
];

/// Lower case without accents: "Contraseña" → "contrasena".
pub fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ñ' => 'n',
            other => crate::domain::unaccented(other),
        })
        .collect()
}

/// A word's stem, for a prefix search: "bloqueado" and "bloqueo" → "bloque", "contraseñas" →
/// "contrasen".
pub fn stem(word: &str) -> String {
    for suffix in SUFFIXES {
        if let Some(base) = word.strip_suffix(suffix)
            && base.len() >= 4
        {
            return base.to_owned();
        }
    }
    word.to_owned()
}

/// The meaningful words of a text, folded, each with its stem, in order, without repeated stems
/// (at most `max`).
pub fn terms(text: &str, max: usize) -> Vec<(String, String)> {
    let folded = fold(text);
    let mut seen = HashSet::new();
    folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 3 && !STOPWORDS.contains(w))
        .map(|w| (w.to_owned(), stem(w)))
        .filter(|(_, s)| seen.insert(s.clone()))
        .take(max)
        .collect()
}

/// The meaningful words of a text typed so far (as [`terms`]), and whether the last of them is
/// still being typed: the text ends in it, not in a space or a sign. Only that word is matched as
/// a prefix; the words before it are whole.
pub fn typed_terms(text: &str, max: usize) -> (Vec<(String, String)>, bool) {
    let words = terms(text, max);
    let folded = fold(text);
    let typing = folded.ends_with(|c: char| c.is_ascii_alphanumeric())
        && match (
            folded.rsplit(|c: char| !c.is_ascii_alphanumeric()).next(),
            words.last(),
        ) {
            (Some(token), Some((word, _))) => token == word,
            _ => false,
        };
    (words, typing)
}

/// The stems of a text's meaningful words, in order, without repeats (at most `max`).
pub fn stems(text: &str, max: usize) -> Vec<String> {
    terms(text, max).into_iter().map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_word_being_typed_is_a_prefix() {
        let (words, typing) = typed_terms("Olvidé mi contra", 12);
        assert_eq!(words.last().unwrap().0, "contra");
        assert!(typing);
        let (_, typing) = typed_terms("Olvidé mi contraseña ", 12);
        assert!(!typing, "a space after the last word ends it");
        let (words, typing) = typed_terms("registro de", 12);
        assert_eq!(words.len(), 1);
        assert!(!typing, "the last word typed is too short to count");
        assert!(!typed_terms("", 12).1);
    }

    #[test]
    fn inflections_and_accents_share_a_stem() {
        assert_eq!(stem(&fold("contraseña")), stem(&fold("contrasenas")));
        assert_eq!(stem("bloqueado"), stem("bloqueo"));
        assert_eq!(
            stems("¡Olvidé mi CONTRASEÑA del SIAGIE!", 5),
            vec!["olvid", "contrasen"]
        );
    }
}
