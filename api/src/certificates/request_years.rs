//! The years a certificate request holds: those of the student's closed actas, then those its
//! issuer typed in, oldest first; and what the request lacks before it can be issued.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;

use entity::{certificate_request, certificate_year};

use super::{
    payload::{AreaGrade, CertificateYear, Observation, Transcription},
    record::{from_actas, years_from_actas},
    years::MIN_AREAS,
};
use crate::error::Result;

/// A year of a request, with where it comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct YearView {
    #[serde(flatten)]
    pub year: CertificateYear,
    /// `actas` (closed actas of the SIAGIE) or `transcribed` (typed in).
    pub source: String,
    /// For a typed-in year: whether its código modular is in the registry.
    pub registered: Option<bool>,
}

/// Every year of a request: from closed actas, then typed in, oldest first.
pub async fn certificate_years(
    db: &impl ConnectionTrait,
    request: &certificate_request::Model,
) -> Result<Vec<YearView>> {
    let actas = years_from_actas(db, request.student_id, request.school_id).await?;
    with_typed_years(db, request, actas).await
}

/// Every year of a request and the recuperación notes of its years from actas, the student's
/// record read once.
pub async fn years_and_recovery_notes(
    db: &impl ConnectionTrait,
    request: &certificate_request::Model,
) -> Result<(Vec<YearView>, Vec<Observation>)> {
    let actas = from_actas(db, request.student_id, request.school_id).await?;
    let years = with_typed_years(db, request, actas.years).await?;
    Ok((years, actas.recovery_notes))
}

/// The years from actas, then the request's typed-in years, oldest first.
async fn with_typed_years(
    db: &impl ConnectionTrait,
    request: &certificate_request::Model,
    actas: Vec<CertificateYear>,
) -> Result<Vec<YearView>> {
    let mut all: Vec<YearView> = actas
        .into_iter()
        .map(|year| YearView {
            year,
            source: "actas".into(),
            registered: None,
        })
        .collect();
    let typed = certificate_year::Entity::find()
        .filter(certificate_year::Column::RequestId.eq(request.id))
        .order_by_asc(certificate_year::Column::Year)
        .all(db)
        .await?;
    for row in typed {
        let areas: Vec<AreaGrade> = serde_json::from_str(&row.areas).unwrap_or_default();
        all.push(YearView {
            registered: Some(row.registered),
            source: "transcribed".into(),
            year: CertificateYear {
                year: row.year,
                grade: row.grade,
                level: row.level,
                codigo_modular: row.codigo_modular,
                school_name: row.school_name,
                areas,
                situation: row.situation,
                transcribed: Some(Transcription {
                    entered_by: row.entered_by_name,
                }),
                regularized: None,
            },
        });
    }
    all.sort_by_key(|y| y.year.year);
    Ok(all)
}

/// What a request lacks before it can be issued.
pub fn missing(years: &[YearView]) -> Vec<String> {
    let mut missing = Vec::new();
    if years.is_empty() {
        missing.push("Registre al menos un año con sus notas.".to_owned());
    }
    for y in years {
        if y.year.transcribed.is_some() && y.year.areas.len() < MIN_AREAS {
            missing.push(format!(
                "El año {} tiene {} áreas curriculares: se necesitan al menos {MIN_AREAS}.",
                y.year.year,
                y.year.areas.len()
            ));
        }
    }
    let signed: Vec<CertificateYear> = years.iter().map(|y| y.year.clone()).collect();
    missing.extend(super::completeness::missing_grades(&signed));
    missing
}
