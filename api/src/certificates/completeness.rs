//! Whether a certificate covers its level without gaps (docs/certificates.md, "Complete"): every
//! grade of the level, from its first grade to the last grade the certificate reaches, comes from a
//! closed acta or is typed in. A certificate of a student who left in 3.er grado covers 1.º to 3.º;
//! one that holds only 6.º grado lacks 1.º to 5.º.

use crate::domain::Level;

use super::payload::CertificateYear;

/// The first and last grade of a level, as ordinals (inicial counts the children's age).
pub fn grade_range(level: Level) -> (u8, u8) {
    match level {
        Level::Inicial => (3, 5),
        Level::Primaria => (1, 6),
        Level::Secundaria => (1, 5),
    }
}

/// The ordinal of a grade as printed or typed ("5.º", "5", "5to", "Quinto", "Quinto grado",
/// "5 años"), when it is a grade of the level.
pub fn grade_ordinal(level: Level, text: &str) -> Option<u8> {
    let text = text.trim().to_lowercase();
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let ordinal = if digits.is_empty() {
        const WORDS: [(&str, u8); 6] = [
            ("primer", 1),
            ("segundo", 2),
            ("tercer", 3),
            ("cuarto", 4),
            ("quinto", 5),
            ("sexto", 6),
        ];
        WORDS
            .iter()
            .find(|(word, _)| text.starts_with(word))
            .map(|(_, n)| *n)?
    } else {
        digits.parse().ok()?
    };
    let (first, last) = grade_range(level);
    (first..=last).contains(&ordinal).then_some(ordinal)
}

/// A grade as a person names it: "3.er grado de primaria", "2.º año de secundaria".
pub fn grade_name(level: Level, ordinal: u8) -> String {
    let mark = if matches!(ordinal, 1 | 3) {
        ".er"
    } else {
        ".º"
    };
    match level {
        Level::Inicial => format!("{ordinal} años de inicial"),
        Level::Primaria => format!("{ordinal}{mark} grado de primaria"),
        Level::Secundaria => format!("{ordinal}{mark} año de secundaria"),
    }
}

/// What a certificate lacks to cover its level, one sentence each: the grades of its level
/// (the level of its last year) from the first one to the highest it holds that no year gives,
/// with the year each was due when the years after it tell, and the years whose grade is not
/// one of the level.
pub fn missing_grades(years: &[CertificateYear]) -> Vec<String> {
    let Some(level) = years.last().map(|y| y.level) else {
        return Vec::new();
    };
    let mut missing = Vec::new();
    let mut held: Vec<(u8, i32)> = Vec::new();
    for y in years.iter().filter(|y| y.level == level) {
        match grade_ordinal(level, &y.grade) {
            Some(ordinal) => held.push((ordinal, y.year)),
            None => missing.push(format!(
                "El año {} dice «{}», que no es un grado de {}: corríjalo.",
                y.year,
                y.grade,
                level.code()
            )),
        }
    }
    let (first, _) = grade_range(level);
    let Some(highest) = held.iter().map(|(o, _)| *o).max() else {
        return missing;
    };
    for ordinal in first..highest {
        if held.iter().any(|(o, _)| *o == ordinal) {
            continue;
        }
        // The year it was due: counted back from the first year of a later grade.
        let due = held
            .iter()
            .filter(|(o, _)| *o > ordinal)
            .min_by_key(|(o, year)| (*o, *year))
            .map(|(o, year)| year - i32::from(o - ordinal));
        missing.push(match due {
            Some(year) => format!(
                "Falta el {} (año {year}, según los años siguientes): regístrelo con sus notas.",
                grade_name(level, ordinal)
            ),
            None => format!(
                "Falta el {}: regístrelo con sus notas.",
                grade_name(level, ordinal)
            ),
        });
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year(year: i32, grade: &str, level: Level) -> CertificateYear {
        // Built as a client would send it, so that fields added later take their defaults.
        serde_json::from_value(serde_json::json!({
            "year": year, "grade": grade, "level": level, "codigo_modular": "0412345-0",
            "school_name": null, "areas": [], "situation": "promovido", "transcribed": null,
        }))
        .unwrap()
    }

    #[test]
    fn grades_are_read_as_digits_or_spanish_ordinals_within_their_level() {
        assert_eq!(grade_ordinal(Level::Primaria, "5.º"), Some(5));
        assert_eq!(grade_ordinal(Level::Primaria, "Sexto grado"), Some(6));
        assert_eq!(grade_ordinal(Level::Primaria, "1er"), Some(1));
        assert_eq!(grade_ordinal(Level::Secundaria, "Tercero"), Some(3));
        assert_eq!(grade_ordinal(Level::Secundaria, "6.º"), None);
        assert_eq!(grade_ordinal(Level::Inicial, "4 años"), Some(4));
        assert_eq!(grade_ordinal(Level::Primaria, "A"), None);
    }

    #[test]
    fn a_certificate_of_only_sixth_grade_lacks_the_five_before_it_with_their_years() {
        let missing = missing_grades(&[year(2026, "6.º", Level::Primaria)]);
        assert_eq!(missing.len(), 5, "{missing:?}");
        assert!(missing[0].contains("1.er grado de primaria (año 2021"));
        assert!(missing[4].contains("5.º grado de primaria (año 2025"));
    }

    #[test]
    fn the_grades_up_to_the_last_one_reached_complete_a_certificate_repeats_included() {
        let years = [
            year(2020, "1.º", Level::Primaria),
            year(2021, "2.º", Level::Primaria),
            year(2022, "2.º", Level::Primaria),
            year(2023, "Tercero", Level::Primaria),
        ];
        assert!(missing_grades(&years).is_empty());
        let gap = [
            year(2020, "1.º", Level::Primaria),
            year(2022, "3.º", Level::Primaria),
        ];
        assert_eq!(
            missing_grades(&gap),
            [
                "Falta el 2.º grado de primaria (año 2021, según los años siguientes): regístrelo con sus notas."
            ]
        );
    }

    #[test]
    fn only_the_level_of_the_last_year_counts() {
        let years = [
            year(2019, "6.º", Level::Primaria),
            year(2020, "1.º", Level::Secundaria),
            year(2021, "2.º", Level::Secundaria),
        ];
        assert!(missing_grades(&years).is_empty());
    }
}
