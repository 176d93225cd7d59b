//! The one place a certificate reads the years a student's closed actas give.

use sea_orm::ConnectionTrait;

use super::payload::{AreaGrade, CertificateYear, Observation, Regularized, situation_label};
use crate::{
    error::Result,
    evaluation::record::{YearOrigin, years_for_school},
};

/// What a student's closed actas give a certificate of the IE `school_id`, read once.
pub struct FromActas {
    /// The years, oldest first, as the certificate prints them: the grade as its ordinal
    /// ("5.º"), the areas' names in capitals.
    pub years: Vec<CertificateYear>,
    /// For each year whose recuperación pedagógica was recorded, the observation the certificate
    /// prints: the recuperación's grades and the situation they led to (the year's final
    /// situation on the certificate).
    pub recovery_notes: Vec<Observation>,
}

/// The years of a student's record that come from closed actas de evaluación, and their
/// recuperación notes. The IE gets the years of other IEs only for a student who continues its
/// schooling there, as its director reads them (`evaluation::record::years_for_school`). Every
/// other year of a certificate is typed in by its issuer, who cannot type a year that is here.
pub async fn from_actas(
    db: &impl ConnectionTrait,
    student_id: i64,
    school_id: i64,
) -> Result<FromActas> {
    let record = years_for_school(db, student_id, school_id).await?;
    let recovery_notes = record
        .iter()
        .filter_map(|y| {
            let recovery = y.recovery.as_ref()?;
            let grades = recovery
                .grades
                .iter()
                .map(|g| format!("{} {}", g.area.to_uppercase(), g.value))
                .collect::<Vec<_>>()
                .join(", ");
            Some(Observation {
                observation: format!(
                    "Recuperación pedagógica de {}.º grado: {grades}. Situación final: {}.",
                    y.grade_ordinal,
                    situation_label(y.situation.code())
                ),
                year: Some(y.year),
                resolution: None,
                reason: None,
            })
        })
        .collect();
    let years = record
        .into_iter()
        .map(|y| CertificateYear {
            year: y.year,
            grade: format!("{}.º", y.grade_ordinal),
            level: y.level,
            codigo_modular: y.codigo_modular,
            school_name: Some(y.school_name),
            areas: y
                .grades
                .into_iter()
                .map(|g| AreaGrade {
                    area: g.area.to_uppercase(),
                    kind: g.kind,
                    scale: g.scale,
                    value: g.value,
                })
                .collect(),
            situation: y.situation.code().to_owned(),
            transcribed: None,
            regularized: match y.origin {
                YearOrigin::Acta => None,
                YearOrigin::Regularization { approved_by, .. } => Some(Regularized { approved_by }),
            },
        })
        .collect();
    Ok(FromActas {
        years,
        recovery_notes,
    })
}

/// The years of a student's record that come from closed actas (see [`from_actas`]).
pub async fn years_from_actas(
    db: &impl ConnectionTrait,
    student_id: i64,
    school_id: i64,
) -> Result<Vec<CertificateYear>> {
    Ok(from_actas(db, student_id, school_id).await?.years)
}
