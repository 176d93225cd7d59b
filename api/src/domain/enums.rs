//! Closed vocabularies of the registry, with their machine codes: defined with their columns in
//! `entity::vocabulary`, so a row holds the typed value.

pub use entity::vocabulary::{EnrollmentStatus, Level, Management, Modality, Position};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for level in Level::ALL {
            assert_eq!(Level::parse(level.code()), Ok(*level));
        }
        for status in EnrollmentStatus::ALL {
            assert_eq!(EnrollmentStatus::parse(status.code()), Ok(*status));
        }
    }

    #[test]
    fn unknown_codes_are_rejected_with_the_allowed_values() {
        let error = Level::parse("universidad").unwrap_err();
        assert!(error.contains("inicial, primaria, secundaria"), "{error}");
        assert!(Modality::parse("EBR").is_err());
    }
}
