//! Identity documents and codes: DNI, código de estudiante, código modular and anexo.

use std::fmt;

use super::digits::all_digits;

/// A Peruvian national identity document number: 8 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dni(String);

impl Dni {
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if all_digits(value, 8) {
            Ok(Self(value.to_owned()))
        } else {
            Err("El DNI debe tener exactamente 8 dígitos.".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The 14-digit code given to a student who has no DNI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StudentCode(String);

impl StudentCode {
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if all_digits(value, 14) {
            Ok(Self(value.to_owned()))
        } else {
            Err("El código de estudiante debe tener exactamente 14 dígitos.".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a student is identified: DNI, or código de estudiante without one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StudentDocument {
    Dni(Dni),
    Code(StudentCode),
}

impl StudentDocument {
    /// Reads 8 digits as a DNI and 14 digits as a código de estudiante.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        match value.len() {
            8 => Dni::parse(value).map(Self::Dni),
            14 => StudentCode::parse(value).map(Self::Code),
            _ => Err(
                "El documento debe ser un DNI (8 dígitos) o un código de estudiante (14 dígitos)."
                    .into(),
            ),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Dni(dni) => dni.as_str(),
            Self::Code(code) => code.as_str(),
        }
    }
}

/// The 7-digit código modular of an IE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CodigoModular(String);

impl CodigoModular {
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if all_digits(value, 7) {
            Ok(Self(value.to_owned()))
        } else {
            Err("El código modular debe tener exactamente 7 dígitos.".into())
        }
    }

    /// Reads `1413889-0` into its código modular and anexo.
    pub fn parse_with_anexo(value: &str) -> Result<(Self, Anexo), String> {
        let (code, anexo) = value
            .trim()
            .split_once('-')
            .ok_or_else(|| "El código debe tener la forma 1234567-0.".to_owned())?;
        let anexo: i16 = anexo
            .parse()
            .map_err(|_| "El anexo debe ser un dígito.".to_owned())?;
        Ok((Self::parse(code)?, Anexo::new(anexo)?))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The anexo of an IE: one digit, 0 for the main premises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Anexo(i16);

impl Anexo {
    pub fn new(value: i16) -> Result<Self, String> {
        if (0..=9).contains(&value) {
            Ok(Self(value))
        } else {
            Err("El anexo debe ser un dígito del 0 al 9.".into())
        }
    }

    pub fn value(self) -> i16 {
        self.0
    }
}

impl fmt::Display for Dni {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dni_accepts_eight_digits_and_trims() {
        assert_eq!(Dni::parse(" 45678912 ").unwrap().as_str(), "45678912");
    }

    #[test]
    fn dni_rejects_wrong_lengths_letters_and_signs() {
        for bad in [
            "",
            "1234567",
            "123456789",
            "1234567a",
            "-1234567",
            "1234 567",
            "１２３４５６７８",
        ] {
            assert!(Dni::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn student_code_needs_fourteen_digits() {
        assert!(StudentCode::parse("12345678901234").is_ok());
        for bad in ["1234567890123", "123456789012345", "1234567890123x"] {
            assert!(
                StudentCode::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn student_document_tells_dni_from_code_by_length() {
        assert!(matches!(
            StudentDocument::parse("45678912"),
            Ok(StudentDocument::Dni(_))
        ));
        assert!(matches!(
            StudentDocument::parse("12345678901234"),
            Ok(StudentDocument::Code(_))
        ));
        assert!(StudentDocument::parse("123456789").is_err());
    }

    #[test]
    fn codigo_modular_with_anexo_reads_the_written_form() {
        let (code, anexo) = CodigoModular::parse_with_anexo("1413889-0").unwrap();
        assert_eq!(code.as_str(), "1413889");
        assert_eq!(anexo.value(), 0);
        for bad in [
            "1413889",
            "141388-0",
            "1413889-10",
            "1413889-a",
            "abcdefg-0",
        ] {
            assert!(
                CodigoModular::parse_with_anexo(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn anexo_is_one_digit() {
        assert!(Anexo::new(9).is_ok());
        assert!(Anexo::new(10).is_err());
        assert!(Anexo::new(-1).is_err());
    }
}
