//! The monthly register of a section (docs/domain.md §3): a grid of students × days, each cell a
//! code or the reason it has none, and the register's state.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use mobile_contract::AttendanceStatus;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use entity::{attendance_register, enrollment, section_day, student};

use super::{
    calendar::{DayKind, SchoolCalendar, month_days},
    codes,
    engine::is_locked,
    enrolled::{covers, uncovered_reason},
};
use crate::{
    auth::{policy::Action, principal::Principal},
    error::{ApiError, Result},
    registry::repo::SectionScope,
    time::now,
};

/// The state of a monthly register (the legend of docs/domain.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Nothing registered.
    SinDatos,
    /// Some cells missing.
    Parcial,
    /// Every academic day up to month end filled: it needs closing.
    Completo,
    /// Closed by the director.
    Cerrado,
}

impl State {
    pub fn code(self) -> &'static str {
        match self {
            State::SinDatos => "sin_datos",
            State::Parcial => "parcial",
            State::Completo => "completo",
            State::Cerrado => "cerrado",
        }
    }

    /// As a person reads it (the register's legend).
    pub fn label(self) -> &'static str {
        match self {
            State::SinDatos => "Sin datos",
            State::Parcial => "Parcial",
            State::Completo => "Completo (pendiente de cierre)",
            State::Cerrado => "Cerrado",
        }
    }

    /// Derives the state from the counts and the closure.
    pub fn derive(expected: usize, filled: usize, locked: bool) -> Self {
        if locked {
            State::Cerrado
        } else if filled >= expected {
            State::Completo
        } else if filled == 0 {
            State::SinDatos
        } else {
            State::Parcial
        }
    }
}

/// A day column.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayColumn {
    pub date: NaiveDate,
    pub day: u32,
    /// `L`, `M`, `M`, `J`, `V`, `S`, `D`.
    pub weekday: &'static str,
    pub academic: bool,
    /// For a non-academic day: why (e.g. `Día del Trabajo`, `Fin de semana`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One cell: a code, or the reason there is none.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cell {
    pub date: NaiveDate,
    /// `asistio`, `falta`, `tardanza`, `falta_justificada` or `tardanza_justificada`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub status: Option<AttendanceStatus>,
    /// The printed symbol: `.`, `F`, `T`, `J`, `U`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<&'static str>,
    /// Why the cell has no code: `no_academico`, `sin_matricula`, `traslado`, `retirado`,
    /// `fallecido`, or `pendiente` (an academic day still to register).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The note of the mark that stands (the reason of a falta justificada).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One student's row.
#[derive(Debug, Serialize, ToSchema)]
pub struct Row {
    pub number: usize,
    pub student_id: i64,
    pub enrollment_id: i64,
    pub document: String,
    pub full_name: String,
    pub cells: Vec<Cell>,
    /// Counts of each code in the month.
    pub totals: HashMap<String, usize>,
}

/// The register of a section for a month.
#[derive(Debug, Serialize, ToSchema)]
pub struct Register {
    pub section_id: i64,
    pub school_id: i64,
    pub school_name: String,
    pub school_code: String,
    pub grade: String,
    pub section: String,
    pub year: i32,
    pub month: u32,
    pub state: State,
    pub closed_at: Option<DateTime<Utc>>,
    /// While an exceptional modification is open: until when.
    pub modification_until: Option<DateTime<Utc>>,
    /// Academic cells still to register.
    pub missing_cells: usize,
    pub days: Vec<DayColumn>,
    pub rows: Vec<Row>,
}

const WEEKDAYS: [&str; 7] = ["L", "M", "M", "J", "V", "S", "D"];

/// The register of a section for a month, for a caller who may read the section's roster.
pub async fn read(
    db: &DatabaseConnection,
    p: &Principal,
    section_id: i64,
    year: i32,
    month: u32,
) -> Result<Register> {
    let (scope, calendar) = super::scope::in_reach(db, p, section_id, Action::ReadRoster).await?;
    build(db, &scope, &calendar, year, month, now()).await
}

/// Builds the register of a section for a month.
pub async fn build(
    db: &impl ConnectionTrait,
    scope: &SectionScope,
    calendar: &SchoolCalendar,
    year: i32,
    month: u32,
    now: DateTime<Utc>,
) -> Result<Register> {
    let days = month_days(year, month);
    let (Some(first), Some(last)) = (days.first().copied(), days.last().copied()) else {
        return Err(ApiError::not_found("el mes indicado"));
    };
    if last < calendar.year.starts_on || first > calendar.year.ends_on {
        return Err(ApiError::field(
            "month",
            "El mes está fuera del año académico de la sección.",
        ));
    }
    let mut rows = enrollment::Entity::find()
        .filter(enrollment::Column::SectionId.eq(scope.section.id))
        .find_also_related(student::Entity)
        .all(db)
        .await?;
    crate::registry::repo::sort_students(&mut rows);
    let mut values: HashMap<(i64, NaiveDate), i16> = HashMap::new();
    let mut marks: HashMap<(i64, NaiveDate), uuid::Uuid> = HashMap::new();
    for day in section_day::Entity::find()
        .filter(section_day::Column::SectionId.eq(scope.section.id))
        .filter(section_day::Column::Date.between(first, last))
        .all(db)
        .await?
    {
        for cell in super::store::cells(&day)? {
            values.insert((cell.enrollment_id, day.date), cell.status);
            marks.insert((cell.enrollment_id, day.date), cell.mark_id);
        }
    }
    let ids: Vec<uuid::Uuid> = marks.values().copied().collect();
    let notes = super::store::notes_of(db, &ids).await?;
    let register = attendance_register::Entity::find()
        .filter(attendance_register::Column::SectionId.eq(scope.section.id))
        .filter(attendance_register::Column::Year.eq(year))
        .filter(attendance_register::Column::Month.eq(month as i16))
        .one(db)
        .await?;

    let columns: Vec<DayColumn> = days
        .iter()
        .map(|d| {
            let kind = calendar.kind(*d);
            DayColumn {
                date: *d,
                day: d.day(),
                weekday: WEEKDAYS[d.weekday().num_days_from_monday() as usize],
                academic: kind == DayKind::Academic,
                description: match kind {
                    DayKind::Weekend => Some("Fin de semana".into()),
                    DayKind::NonAcademic => calendar.declared.get(d).map(|(_, text)| text.clone()),
                    DayKind::OutsideYear => Some("Fuera del año académico".into()),
                    DayKind::Academic => None,
                },
            }
        })
        .collect();

    let (mut expected, mut filled) = (0, 0);
    let mut out_rows = Vec::new();
    for (number, (e, s)) in rows.into_iter().enumerate() {
        let Some(s) = s else { continue };
        let mut totals: HashMap<String, usize> = HashMap::new();
        let cells = days
            .iter()
            .map(|d| {
                if !calendar.is_academic(*d) {
                    return Cell {
                        date: *d,
                        status: None,
                        symbol: None,
                        reason: Some("no_academico"),
                        note: None,
                    };
                }
                if !covers(&e, *d) {
                    return Cell {
                        date: *d,
                        status: None,
                        symbol: None,
                        reason: uncovered_reason(&e, *d),
                        note: None,
                    };
                }
                expected += 1;
                match values.get(&(e.id, *d)).and_then(|v| codes::from_db(*v)) {
                    Some(status) => {
                        filled += 1;
                        *totals.entry(status.code().to_owned()).or_default() += 1;
                        Cell {
                            date: *d,
                            status: Some(status),
                            symbol: Some(status.symbol()),
                            reason: None,
                            note: marks.get(&(e.id, *d)).and_then(|m| notes.get(m)).cloned(),
                        }
                    }
                    None => Cell {
                        date: *d,
                        status: None,
                        symbol: None,
                        reason: Some("pendiente"),
                        note: None,
                    },
                }
            })
            .collect();
        out_rows.push(Row {
            number: number + 1,
            student_id: s.id,
            enrollment_id: e.id,
            document: s.dni.clone().or(s.student_code.clone()).unwrap_or_default(),
            full_name: format!(
                "{} {}, {}",
                s.paternal_surname, s.maternal_surname, s.given_names
            ),
            cells,
            totals,
        });
    }
    let locked = register.as_ref().is_some_and(|r| is_locked(r, now));
    let grade = entity::grade::Entity::find_by_id(scope.section.grade_id)
        .one(db)
        .await?
        .map(|g| g.name)
        .unwrap_or_default();
    Ok(Register {
        section_id: scope.section.id,
        school_id: scope.school.id,
        school_name: scope.school.name.clone(),
        school_code: format!("{}-{}", scope.school.codigo_modular, scope.school.anexo),
        grade,
        section: scope.section.name.clone(),
        year,
        month,
        state: State::derive(expected, filled, locked),
        closed_at: register.as_ref().and_then(|r| r.closed_at),
        modification_until: register
            .as_ref()
            .and_then(|r| r.modification_until)
            .filter(|u| *u > now),
        missing_cells: expected - filled.min(expected),
        days: columns,
        rows: out_rows,
    })
}

/// The state of many registers at once: one counting query per month, expected cells computed
/// from enrollments and calendars. Marks are only stored on days an enrollment covers, so counts
/// per section and month are the filled cells.
pub async fn states(
    db: &impl ConnectionTrait,
    sections: &[(entity::section::Model, SchoolCalendar)],
    months: &[(i32, u32)],
    now: DateTime<Utc>,
) -> Result<Vec<(i64, i32, u32, State, Option<DateTime<Utc>>)>> {
    use sea_orm::{
        QuerySelect,
        sea_query::{Expr, Func},
    };
    if sections.is_empty() || months.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = sections.iter().map(|(s, _)| s.id).collect();
    let mut enrollments: HashMap<i64, Vec<enrollment::Model>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for e in enrollment::Entity::find()
            .filter(enrollment::Column::SectionId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            enrollments.entry(e.section_id).or_default().push(e);
        }
    }
    let mut registers: HashMap<(i64, i32, i16), attendance_register::Model> = HashMap::new();
    for chunk in ids.chunks(500) {
        for r in attendance_register::Entity::find()
            .filter(attendance_register::Column::SectionId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            registers.insert((r.section_id, r.year, r.month), r);
        }
    }
    let mut out = Vec::new();
    for (year, month) in months {
        let days = month_days(*year, *month);
        let (Some(first), Some(last)) = (days.first().copied(), days.last().copied()) else {
            continue;
        };
        let mut filled: HashMap<i64, i64> = HashMap::new();
        for chunk in ids.chunks(500) {
            let counts: Vec<(i64, i64)> = section_day::Entity::find()
                .select_only()
                .column(section_day::Column::SectionId)
                .column_as(
                    Expr::from(Func::sum(Expr::col(section_day::Column::Filled))),
                    "filled",
                )
                .filter(section_day::Column::SectionId.is_in(chunk.to_vec()))
                .filter(section_day::Column::Date.between(first, last))
                .group_by(section_day::Column::SectionId)
                .into_tuple()
                .all(db)
                .await?;
            filled.extend(counts);
        }
        for (section, calendar) in sections {
            if last < calendar.year.starts_on || first > calendar.year.ends_on {
                continue;
            }
            let academic: Vec<NaiveDate> = days
                .iter()
                .copied()
                .filter(|d| calendar.is_academic(*d))
                .collect();
            let expected: usize = enrollments
                .get(&section.id)
                .map(|list| {
                    list.iter()
                        .map(|e| academic.iter().filter(|d| covers(e, **d)).count())
                        .sum()
                })
                .unwrap_or(0);
            let register = registers.get(&(section.id, *year, *month as i16));
            let locked = register.is_some_and(|r| is_locked(r, now));
            let count = filled.get(&section.id).copied().unwrap_or(0).max(0) as usize;
            let until = register
                .and_then(|r| r.modification_until)
                .filter(|u| *u > now);
            out.push((
                section.id,
                *year,
                *month,
                State::derive(expected, count, locked),
                until,
            ));
        }
    }
    Ok(out)
}

/// The months of an academic year up to (and including) the month of `today`.
pub fn months_until(year: &entity::academic_year::Model, today: NaiveDate) -> Vec<(i32, u32)> {
    let end = today.min(year.ends_on);
    let mut months = Vec::new();
    let mut cursor = NaiveDate::from_ymd_opt(year.starts_on.year(), year.starts_on.month(), 1);
    while let Some(first) = cursor {
        if first > end {
            break;
        }
        months.push((first.year(), first.month()));
        cursor = if first.month() == 12 {
            NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
        };
    }
    months
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_follows_the_legend_of_seed_000() {
        assert_eq!(State::derive(10, 0, false), State::SinDatos);
        assert_eq!(State::derive(10, 4, false), State::Parcial);
        assert_eq!(State::derive(10, 10, false), State::Completo);
        assert_eq!(State::derive(10, 10, true), State::Cerrado);
        assert_eq!(
            State::derive(0, 0, false),
            State::Completo,
            "a month without academic days needs only closing"
        );
    }
}
