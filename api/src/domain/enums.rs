//! Closed vocabularies of the registry, with their machine codes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The machine code stored and sent over the API.
            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }

            /// Reads a machine code.
            pub fn parse(value: &str) -> Result<Self, String> {
                match value.trim() {
                    $($code => Ok(Self::$variant),)+
                    other => Err(format!(
                        concat!($what, " no válido: «{}». Valores permitidos: {}."),
                        other,
                        [$($code),+].join(", ")
                    )),
                }
            }
        }
    };
}

vocabulary!(
    /// Educational level of an IE or a grade.
    Level, "Nivel" { Inicial => "inicial", Primaria => "primaria", Secundaria => "secundaria" }
);
vocabulary!(
    /// Modality: regular (EBR), special (EBE) or alternative (EBA) basic education.
    Modality, "Modalidad" { Ebr => "ebr", Ebe => "ebe", Eba => "eba" }
);
vocabulary!(
    /// Management type of an IE.
    Management, "Tipo de gestión" { Publica => "publica", Privada => "privada" }
);
vocabulary!(
    /// Status of an enrollment (matrícula).
    EnrollmentStatus, "Estado de matrícula" {
        Activo => "activo", Trasladado => "trasladado", Retirado => "retirado", Fallecido => "fallecido"
    }
);
vocabulary!(
    /// Position of a staff member registered in an IE (personal de la IE).
    Position, "Cargo" {
        DeputyDirector => "deputy_director", Secretary => "secretary", Teacher => "teacher",
        Assistant => "assistant", Administrative => "administrative"
    }
);

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
