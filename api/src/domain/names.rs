//! Names of people, as written in their documents.

/// A surname or given names: letters (with accents and ñ), spaces, apostrophes, dots and
/// hyphens; 1 to 80 characters; inner spaces folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(value: &str) -> Result<Self, String> {
        use unicode_normalization::UnicodeNormalization;
        // Composed as most keyboards type it (an accent typed apart joins its letter), and the
        // typographic apostrophe (’, as phones type it) written as the plain one.
        let composed: String = value
            .nfc()
            .map(|c| if c == '\u{2019}' { '\'' } else { c })
            .collect();
        let folded = composed.split_whitespace().collect::<Vec<_>>().join(" ");
        if folded.is_empty() {
            return Err("El nombre no puede estar vacío.".into());
        }
        if folded.chars().count() > 80 {
            return Err("El nombre no puede tener más de 80 caracteres.".into());
        }
        if !folded
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '\'' | '-' | '.'))
        {
            return Err(
                "El nombre solo puede contener letras, espacios, apóstrofos y guiones.".into(),
            );
        }
        // Signs and marks alone (a hyphen, an apostrophe, a Hangul filler) name nobody.
        if !super::said(&folded) {
            return Err("El nombre debe contener letras.".into());
        }
        Ok(Self(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the same name as one stored, ignoring case, accents and spacing (ñ is
    /// kept apart from n).
    pub fn matches(&self, stored: &str) -> bool {
        fn fold(name: &str) -> String {
            name.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
                .chars()
                .map(unaccented)
                .collect()
        }
        fold(&self.0) == fold(stored)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The maternal surname of a person who has one surname only.
pub const NO_SECOND_SURNAME: &str = "-";

/// A person's full name as Peruvian documents write it: paternal surname, maternal surname and
/// given names, each a [`PersonName`]. Parsed once, where a request or a file brings it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullName {
    pub paternal: PersonName,
    pub maternal: PersonName,
    pub given: PersonName,
}

/// The part of a [`FullName`] a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamePart {
    Paternal,
    Maternal,
    Given,
}

impl NamePart {
    /// Its place in [`FullName::FIELDS`] (and in any list of the three parts in that order).
    pub fn index(self) -> usize {
        match self {
            Self::Paternal => 0,
            Self::Maternal => 1,
            Self::Given => 2,
        }
    }
}

impl FullName {
    /// The fields of the three parts in the API's bodies.
    pub const FIELDS: [&'static str; 3] = ["paternal_surname", "maternal_surname", "given_names"];

    /// The three parts, or the message of each part that is not a name.
    pub fn parse(
        paternal: &str,
        maternal: &str,
        given: &str,
    ) -> Result<Self, Vec<(NamePart, String)>> {
        let mut errors = Vec::new();
        let mut part = |which: NamePart, value: &str| {
            PersonName::parse(value)
                .map_err(|message| errors.push((which, message)))
                .ok()
        };
        // A person with one surname has its maternal surname written as a lone hyphen, the one
        // name made of a sign alone.
        let maternal = if maternal.trim() == NO_SECOND_SURNAME {
            Some(PersonName(NO_SECOND_SURNAME.to_owned()))
        } else {
            part(NamePart::Maternal, maternal)
        };
        let (paternal, given) = (
            part(NamePart::Paternal, paternal),
            part(NamePart::Given, given),
        );
        match (paternal, maternal, given) {
            (Some(paternal), Some(maternal), Some(given)) => Ok(Self {
                paternal,
                maternal,
                given,
            }),
            _ => Err(errors),
        }
    }

    /// Whether this is the name stored for a person, whatever the case, accents and spacing.
    pub fn matches(&self, paternal: &str, maternal: &str, given: &str) -> bool {
        self.paternal.matches(paternal)
            && self.maternal.matches(maternal)
            && self.given.matches(given)
    }
}

/// A vowel without its accent, diaeresis or circumflex ("á" → "a", "Ü" keeps its case: "U");
/// any other character as it is. Every folding of Spanish text (sorting, matching names,
/// searching) starts here; each decides apart what ñ becomes.
pub fn unaccented(c: char) -> char {
    match c {
        'á' | 'à' | 'ä' | 'â' => 'a',
        'é' | 'è' | 'ë' | 'ê' => 'e',
        'í' | 'ì' | 'ï' | 'î' => 'i',
        'ó' | 'ò' | 'ö' | 'ô' => 'o',
        'ú' | 'ù' | 'ü' | 'û' => 'u',
        'Á' | 'À' | 'Ä' | 'Â' => 'A',
        'É' | 'È' | 'Ë' | 'Ê' => 'E',
        'Í' | 'Ì' | 'Ï' | 'Î' => 'I',
        'Ó' | 'Ò' | 'Ö' | 'Ô' => 'O',
        'Ú' | 'Ù' | 'Ü' | 'Û' => 'U',
        other => other,
    }
}

/// The key that puts names in Spanish alphabetical order: case and accents do not count, and ñ
/// comes after n ("Chávez" before "Chuquicusma", "Núñez" after "Nuno" and before "Ochoa").
pub fn spanish_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() + 2);
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        match unaccented(c) {
            // After every letter of n's words, before o.
            'ñ' => key.push_str("n~"),
            // A space sorts before any letter: "De la Cruz" before "Delgado".
            ' ' => key.push(' '),
            c if c.is_alphanumeric() => key.push(c),
            _ => {}
        }
    }
    key
}

/// The key of a person's full name: paternal surname, maternal surname, given names.
pub fn person_key(paternal: &str, maternal: &str, given: &str) -> (String, String, String) {
    (
        spanish_key(paternal),
        spanish_key(maternal),
        spanish_key(given),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_accents_and_fold_spaces() {
        assert_eq!(
            PersonName::parse("  María   Ñahui ").unwrap().as_str(),
            "María Ñahui"
        );
        assert!(PersonName::parse("D'Angelo-Quispe").is_ok());
        assert!(PersonName::parse("Ñ").is_ok());
        assert_eq!(PersonName::parse("Jose\u{301}").unwrap().as_str(), "José");
        assert_eq!(PersonName::parse("D’Ávila").unwrap().as_str(), "D'Ávila");
    }

    #[test]
    fn signs_and_marks_alone_name_nobody() {
        for blank in [
            "-",
            "'",
            ". -",
            "\u{3164}",
            "\u{115F}\u{1160}",
            "\u{0640}\u{0640}",
        ] {
            assert!(PersonName::parse(blank).is_err(), "{blank:?}");
        }
    }

    #[test]
    fn a_name_matches_its_stored_form_whatever_the_case_and_accents() {
        let typed = PersonName::parse("maria  NAHUI").unwrap();
        assert!(
            PersonName::parse("MARÍA ÑAHUI")
                .unwrap()
                .matches("María Ñahui")
        );
        assert!(!typed.matches("María Ñahui"));
        assert!(PersonName::parse("Jose").unwrap().matches("José"));
    }

    #[test]
    fn names_sort_in_spanish_order() {
        let mut names = vec![
            "Ochoa",
            "Ñahui",
            "Chuquicusma",
            "Nuñez",
            "chávez",
            "Nunez",
            "Álvarez",
            "Zapata",
        ];
        names.sort_by_key(|n| spanish_key(n));
        assert_eq!(
            names,
            [
                "Álvarez",
                "chávez",
                "Chuquicusma",
                "Nunez",
                "Nuñez",
                "Ñahui",
                "Ochoa",
                "Zapata"
            ]
        );
    }

    #[test]
    fn a_full_name_is_parsed_once_with_a_message_per_bad_part() {
        let name = FullName::parse(" Quispe ", "Ñahui", "Ana  María").unwrap();
        assert_eq!(name.given.as_str(), "Ana María");
        assert!(name.matches("QUISPE", "ñahui", "ana maria"));
        let errors = FullName::parse("", "Ñahui", "Ana2").unwrap_err();
        let parts: Vec<NamePart> = errors.iter().map(|(part, _)| *part).collect();
        assert_eq!(parts, [NamePart::Paternal, NamePart::Given]);
    }

    #[test]
    fn names_reject_empty_digits_and_overlong_values() {
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse("Juan2").is_err());
        assert!(PersonName::parse("<script>").is_err());
        assert!(PersonName::parse(&"a".repeat(81)).is_err());
    }
}
