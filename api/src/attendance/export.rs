//! The monthly attendance export for social programmes (Juntos, Qali Warma): per student, the
//! counts of each code, the academic days and the attendance rate. Streamed a few IEs at a time,
//! never built whole in memory.

use std::collections::HashMap;

use axum::body::Bytes;
use chrono::{Datelike, NaiveDate};
use mobile_contract::AttendanceStatus;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Deserialize;
use utoipa::IntoParams;

use entity::{enrollment, grade, school, section_day, student};
use futures_util::TryStreamExt;
use tokio::sync::mpsc;

use super::{calendar::month_days, codes, enrolled::covers, overview};
use crate::{
    auth::{
        policy::{Action, Target},
        principal::Principal,
    },
    error::{ApiError, Result},
};

/// IEs per database round.
const SCHOOLS_PER_CHUNK: usize = 50;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportFilter {
    pub school_id: Option<i64>,
    pub ugel_id: Option<i64>,
    pub dre_id: Option<i64>,
    pub year: i32,
    pub month: u32,
    /// `1` to start the file with a UTF-8 byte order mark, so that Excel opens accents right.
    pub bom: Option<u8>,
}

const HEADER: [&str; 20] = [
    "documento",
    "tipo_documento",
    "apellido_paterno",
    "apellido_materno",
    "nombres",
    "codigo_modular",
    "anexo",
    "ie",
    "grado",
    "seccion",
    "estado_matricula",
    "asistio",
    "falta",
    "tardanza",
    "falta_justificada",
    "tardanza_justificada",
    "dias_academicos",
    "dias_sin_registro",
    "estado_registro",
    "porcentaje_asistencia",
];

/// The CSV of a unit's month, one student and section per row, as chunks of bytes: the first
/// (the header) at once, then one per group of IEs, read while the client takes the previous.
/// A failure midway ends the stream with an error, so the client sees a cut file, never a short
/// one that looks whole.
pub async fn csv_chunks(
    db: &DatabaseConnection,
    p: Principal,
    filter: &ExportFilter,
) -> Result<mpsc::Receiver<std::io::Result<Bytes>>> {
    let (target, schools) =
        overview::schools_of_unit(db, filter.school_id, filter.ugel_id, filter.dre_id).await?;
    p.authorize(Action::ReadRoster, &target)?;
    let schools = overview::readable(&p, &target, schools);
    let (year, first, last) = overview::year_of_month(db, filter.year, filter.month).await?;
    let (sender, receiver) = mpsc::channel::<std::io::Result<Bytes>>(4);
    let db = db.clone();
    let bom = filter.bom == Some(1);
    crate::time::spawn(async move {
        let start: Vec<u8> = if bom {
            b"\xEF\xBB\xBF".to_vec()
        } else {
            Vec::new()
        };
        let mut header = csv::Writer::from_writer(start);
        let _ = header.write_record(HEADER);
        if sender
            .send(Ok(Bytes::from(header.into_inner().unwrap_or_default())))
            .await
            .is_err()
        {
            return;
        }
        for chunk in schools.chunks(SCHOOLS_PER_CHUNK) {
            let bytes = match rows_for(&db, &p, &target, chunk, &year, first, last).await {
                Ok(bytes) => Ok(Bytes::from(bytes)),
                Err(error) => {
                    tracing::error!(error = %error, "attendance export failed");
                    Err(std::io::Error::other("export failed"))
                }
            };
            let failed = bytes.is_err();
            if sender.send(bytes).await.is_err() || failed {
                return;
            }
        }
    });
    Ok(receiver)
}

async fn rows_for(
    db: &DatabaseConnection,
    p: &Principal,
    unit: &Target,
    schools: &[school::Model],
    year: &entity::academic_year::Model,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<u8>> {
    let sections = overview::readable_sections(
        p,
        unit,
        schools,
        overview::sections_with_calendars(db, schools, year).await?,
    );
    let schools: HashMap<i64, &school::Model> = schools.iter().map(|s| (s.id, s)).collect();
    let grades: HashMap<i64, String> = grade::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let section_ids: Vec<i64> = sections.iter().map(|(s, _)| s.id).collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    if section_ids.is_empty() {
        return Ok(out.into_inner().unwrap_or_default());
    }
    let mut enrollments = enrollment::Entity::find()
        .filter(enrollment::Column::SectionId.is_in(section_ids.clone()))
        .find_also_related(student::Entity)
        .all(db)
        .await?;
    // Section by section, in the order of the sections; inside each, students in Spanish order.
    let position: HashMap<i64, usize> = section_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i))
        .collect();
    crate::registry::repo::sort_students(&mut enrollments);
    enrollments.sort_by_key(|(e, _)| position.get(&e.section_id).copied().unwrap_or(usize::MAX));
    let mut per_enrollment: HashMap<i64, [i64; 5]> = HashMap::new();
    let by_section: HashMap<i64, &(entity::section::Model, super::calendar::SchoolCalendar)> =
        sections.iter().map(|pair| (pair.0.id, pair)).collect();
    let by_enrollment: HashMap<i64, &enrollment::Model> =
        enrollments.iter().map(|(e, _)| (e.id, e)).collect();
    // Days still to come do not count against anyone: for the month in course, up to today.
    let today = crate::time::today_lima();
    let mut days = section_day::Entity::find()
        .filter(section_day::Column::SectionId.is_in(section_ids))
        .filter(section_day::Column::Date.between(first, last))
        .stream(db)
        .await?;
    while let Some(day) = days.try_next().await? {
        // As the register grid: a mark counts only on an academic day of the student's
        // enrollment (a day made non-academic, or after a retiro, shows no mark).
        let academic = by_section
            .get(&day.section_id)
            .is_some_and(|(_, calendar)| calendar.is_academic(day.date))
            && day.date <= today;
        if !academic {
            continue;
        }
        for cell in super::store::cells(&day)? {
            if !by_enrollment
                .get(&cell.enrollment_id)
                .is_some_and(|e| covers(e, day.date))
            {
                continue;
            }
            if let Some(status) = codes::from_db(cell.status) {
                let index = AttendanceStatus::ALL
                    .iter()
                    .position(|s| *s == status)
                    .unwrap_or(0);
                per_enrollment.entry(cell.enrollment_id).or_default()[index] += 1;
            }
        }
    }
    drop(days);
    let days: Vec<NaiveDate> = month_days(first.year(), first.month())
        .into_iter()
        .filter(|d| *d <= today)
        .collect();
    for (e, s) in &enrollments {
        let (Some(s), Some((section, calendar))) = (s, by_section.get(&e.section_id)) else {
            continue;
        };
        let Some(school) = schools.get(&section.school_id) else {
            continue;
        };
        let academic = days
            .iter()
            .filter(|d| calendar.is_academic(**d) && covers(e, **d))
            .count() as i64;
        let counts = per_enrollment.get(&e.id).copied().unwrap_or_default();
        let registered: i64 = counts.iter().sum();
        let attended = counts[0] + counts[2] + counts[4];
        // A rate only over a register with every academic day recorded: a day not yet
        // registered must not look like a day the child missed.
        let (rate, register_state) = if academic == 0 {
            (String::new(), "sin_dias_academicos")
        } else if registered >= academic {
            (
                format!("{:.1}", attended as f64 * 100.0 / academic as f64),
                "completo",
            )
        } else if registered == 0 {
            (String::new(), "sin_datos")
        } else {
            (String::new(), "parcial")
        };
        let (document, kind) = match (&s.dni, &s.student_code) {
            (Some(dni), _) => (dni.clone(), "DNI"),
            (None, Some(code)) => (code.clone(), "CODIGO_ESTUDIANTE"),
            (None, None) => (String::new(), ""),
        };
        out.write_record(
            [
                document,
                kind.to_owned(),
                s.paternal_surname.clone(),
                s.maternal_surname.clone(),
                s.given_names.clone(),
                school.codigo_modular.clone(),
                school.anexo.to_string(),
                school.name.clone(),
                grades.get(&section.grade_id).cloned().unwrap_or_default(),
                section.name.clone(),
                e.status.code().to_owned(),
                counts[0].to_string(),
                counts[1].to_string(),
                counts[2].to_string(),
                counts[3].to_string(),
                counts[4].to_string(),
                academic.to_string(),
                (academic - registered).max(0).to_string(),
                register_state.to_owned(),
                rate,
            ]
            .map(crate::http::csv_cell),
        )
        .map_err(|e| ApiError::Internal(e.into()))?;
    }
    out.into_inner()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))
}
