//! Contact data: e-mail addresses and Peruvian cell phones.

use validator::ValidateEmail;

use super::digits::all_digits;

/// An e-mail address, stored lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim().to_lowercase();
        if value.len() <= 254 && value.validate_email() {
            Ok(Self(value))
        } else {
            Err("El correo electrónico no es válido.".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A Peruvian cell phone: 9 digits starting with 9.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellPhone(String);

impl CellPhone {
    pub fn parse(value: &str) -> Result<Self, String> {
        let value: String = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if all_digits(&value, 9) && value.starts_with('9') {
            Ok(Self(value))
        } else {
            Err("El celular debe tener 9 dígitos y empezar con 9.".into())
        }
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
    fn email_is_normalised_to_lower_case() {
        assert_eq!(
            Email::parse(" Director@IE123.edu.pe ").unwrap().as_str(),
            "director@ie123.edu.pe"
        );
    }

    #[test]
    fn email_rejects_malformed_addresses() {
        for bad in [
            "",
            "director",
            "director@",
            "@ie.pe",
            "dir ector@ie.pe",
            "a@b@c.pe",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn cell_phone_accepts_spaces_and_dashes() {
        assert_eq!(
            CellPhone::parse("987 654-321").unwrap().as_str(),
            "987654321"
        );
    }

    #[test]
    fn cell_phone_rejects_landlines_and_wrong_lengths() {
        for bad in ["", "016155757", "98765432", "9876543210", "98765432a"] {
            assert!(CellPhone::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
