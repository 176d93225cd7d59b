//! The one place a certificate reads the years a student's closed actas give.

use sea_orm::ConnectionTrait;

use super::payload::{AreaGrade, CertificateYear, Regularized};
use crate::{
    error::Result,
    evaluation::record::{YearOrigin, years_for_school},
};

/// The years of a student's record that come from closed actas de evaluación, oldest first, as a
/// certificate of the IE `school_id` prints them: the grade as its ordinal ("5.º"), the areas'
/// names in capitals. The IE gets the years of other IEs only for a student who continues its
/// schooling there, as its director reads them (`evaluation::record::years_for_school`). Every
/// other year of a certificate is typed in by its issuer, who cannot type a year that is here.
pub async fn years_from_actas(
    db: &impl ConnectionTrait,
    student_id: i64,
    school_id: i64,
) -> Result<Vec<CertificateYear>> {
    Ok(years_for_school(db, student_id, school_id)
        .await?
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
        .collect())
}
