//! Names of people, as written in their documents.

/// A surname or given names: letters (with accents and ñ), spaces, apostrophes, dots and
/// hyphens; 1 to 80 characters; inner spaces folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(value: &str) -> Result<Self, String> {
        let folded = value.split_whitespace().collect::<Vec<_>>().join(" ");
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
        Ok(Self(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
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
    }

    #[test]
    fn names_reject_empty_digits_and_overlong_values() {
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse("Juan2").is_err());
        assert!(PersonName::parse("<script>").is_err());
        assert!(PersonName::parse(&"a".repeat(81)).is_err());
    }
}
