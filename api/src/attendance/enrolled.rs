//! Whether an enrollment covers a day: from its start, and until its end when the student left
//! (traslado, retiro, fallecimiento). A day it does not cover has no mark, and says why.

use chrono::NaiveDate;

use entity::enrollment;

/// Whether an enrollment covers a day: from its start, and before a transfer, withdrawal or death.
pub fn covers(enrollment: &enrollment::Model, date: NaiveDate) -> bool {
    covers_span(
        enrollment.starts_on,
        enrollment.status.code(),
        enrollment.status_date,
        date,
    )
}

/// [`covers`] on the three fields it needs.
pub fn covers_span(
    starts_on: NaiveDate,
    status: &str,
    status_date: Option<NaiveDate>,
    date: NaiveDate,
) -> bool {
    date >= starts_on && (status == "activo" || status_date.is_some_and(|end| date < end))
}

/// Why a cell of the register carries no code.
pub fn uncovered_reason(enrollment: &enrollment::Model, date: NaiveDate) -> Option<&'static str> {
    if date < enrollment.starts_on {
        return Some("sin_matricula");
    }
    match (enrollment.status.code(), enrollment.status_date) {
        ("trasladado", Some(end)) if date >= end => Some("traslado"),
        ("retirado", Some(end)) if date >= end => Some("retirado"),
        ("fallecido", Some(end)) if date >= end => Some("fallecido"),
        _ => None,
    }
}
