//! The closed vocabularies of workflow columns, typed: a row read with a value outside its
//! vocabulary is an error, never a string compared by hand. Each is stored as its snake_case
//! text, so the schema is unchanged.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A closed vocabulary (of the registry, the help desk and the rest): a typed column, its machine codes, and the Spanish
/// message that names what is allowed when a request brings another value.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize,
            Deserialize, utoipa::ToSchema,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $(#[sea_orm(string_value = $code)] $variant),+ }

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

pub(crate) use vocabulary;

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

vocabulary!(
    /// What a curricular area is in an acta: a general area, a workshop (taller) or behaviour
    /// (comportamiento).
    AreaKind, "Tipo de área" { General => "general", Taller => "taller", Comportamiento => "comportamiento" }
);
vocabulary!(
    /// The scale an area is graded on: vigesimal (0 to 20) or literal (AD, A, B, C).
    GradeScale, "Escala de calificación" { Vigesimal => "vigesimal", Literal => "literal" }
);
vocabulary!(
    /// A student's final situation in the acta of a year.
    FinalSituation, "Situación final" {
        Promovido => "promovido", RequiereRecuperacion => "requiere_recuperacion",
        Permanece => "permanece", Retirado => "retirado", Trasladado => "trasladado"
    }
);

/// What an exceptional modification reopens (`exceptional_modification.kind`): a month's
/// attendance register or a section's acta de evaluación. Each kind numbers its own requests.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ModificationKind {
    #[sea_orm(string_value = "register")]
    Register,
    #[sea_orm(string_value = "acta")]
    Acta,
}

/// Where an exceptional modification request stands (`exceptional_modification.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ModificationStatus {
    /// The director asked; the Especialista del nivel has not given its opinion.
    #[sea_orm(string_value = "requested")]
    Requested,
    #[sea_orm(string_value = "favorable")]
    Favorable,
    #[sea_orm(string_value = "unfavorable")]
    Unfavorable,
    /// The register is open for changes until the request's deadline.
    #[sea_orm(string_value = "enabled")]
    Enabled,
    /// Closed again (at the deadline, or when the director closed the register).
    #[sea_orm(string_value = "closed")]
    Closed,
}

/// Where a regularization stands (`regularization.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RegularizationStatus {
    /// The director asked; the Especialista SIAGIE (of the UGEL, or the unit above) decides.
    #[sea_orm(string_value = "requested")]
    Requested,
    /// Approved: the section's late years count in records and certificates.
    #[sea_orm(string_value = "approved")]
    Approved,
    /// Rejected, with the reason: the director may ask again.
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

/// The director's review of a mark held for a closed month (`held_mark.review`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum HeldReview {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "applied")]
    Applied,
    /// Set aside by the director: it never enters the register.
    #[sea_orm(string_value = "dismissed")]
    Dismissed,
}

/// Where a provisioning request stands (`provisioning_request.status`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

/// What a provisioning request asks (`provisioning_request.kind`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A role given.
    #[sea_orm(string_value = "alta")]
    Alta,
    /// A role ended.
    #[sea_orm(string_value = "baja")]
    Baja,
}

/// Whom a non-academic day applies to (`non_academic_day.scope`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum DayScope {
    #[sea_orm(string_value = "national")]
    National,
    #[sea_orm(string_value = "ugel")]
    Ugel,
    #[sea_orm(string_value = "school")]
    School,
}

/// What a tablet must read again (`change_log.kind`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The calendar: non-academic days.
    #[sea_orm(string_value = "calendar")]
    Calendar,
    /// A section was created.
    #[sea_orm(string_value = "section")]
    Section,
    /// A section's roster.
    #[sea_orm(string_value = "enrollment")]
    Enrollment,
    /// Who teaches a section.
    #[sea_orm(string_value = "teacher")]
    Teacher,
    /// A register's state (closed, open for a modification).
    #[sea_orm(string_value = "register")]
    Register,
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    /// What is stored is what the API and the e-mails say: the serde name of each value.
    fn stored_as_serialized<E: ActiveEnum<Value = String> + Iterable + Serialize>() {
        for value in E::iter() {
            assert_eq!(
                serde_json::to_value(&value).unwrap(),
                serde_json::Value::String(value.to_value())
            );
            assert_eq!(
                E::try_from_value(&value.to_value())
                    .ok()
                    .map(|v| v.to_value()),
                Some(value.to_value())
            );
        }
    }

    #[test]
    fn every_vocabulary_stores_its_snake_case_name() {
        stored_as_serialized::<ModificationStatus>();
        stored_as_serialized::<HeldReview>();
        stored_as_serialized::<RegularizationStatus>();
        stored_as_serialized::<RequestStatus>();
        stored_as_serialized::<RequestKind>();
        stored_as_serialized::<DayScope>();
        stored_as_serialized::<ChangeKind>();
        stored_as_serialized::<Level>();
        stored_as_serialized::<Modality>();
        stored_as_serialized::<Management>();
        stored_as_serialized::<EnrollmentStatus>();
        stored_as_serialized::<Position>();
        stored_as_serialized::<AreaKind>();
        stored_as_serialized::<GradeScale>();
        stored_as_serialized::<FinalSituation>();
        assert!(ModificationStatus::try_from_value(&"abierto".to_owned()).is_err());
    }
}
