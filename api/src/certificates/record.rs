//! The one place a certificate reads the years a student's closed actas give.

use sea_orm::ConnectionTrait;

use super::payload::CertificateYear;
use crate::error::Result;

/// The years of a student's record that come from closed actas de evaluación, oldest first.
///
/// It reads the closed actas once the evaluation module exists
/// (`crate::evaluation::record::student_record`); until then no year comes from actas, and every
/// year of a certificate is typed in by its issuer. Everything else treats a certificate's years
/// as these followed by the typed-in ones, and refuses typing in a year that is here.
pub async fn years_from_actas(
    _db: &impl ConnectionTrait,
    _student_id: i64,
) -> Result<Vec<CertificateYear>> {
    Ok(Vec::new())
}
