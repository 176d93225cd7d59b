//! Coverage of the monthly registers in a UGEL or a DRE: for each IE and each month of the
//! academic year so far, how many of its sections' registers are closed. The months that ended
//! with registers open are the IE's delay.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use entity::academic_year;

use super::{
    overview::{readable, readable_sections, schools_of_unit, sections_with_calendars},
    register::{self, State},
};
use crate::{
    auth::{policy::Action, principal::Principal},
    error::Result,
    time::LIMA,
};

/// One IE's registers of one month.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MonthCount {
    pub closed: usize,
    pub total: usize,
    /// Whether the month ended (its open registers are late).
    pub ended: bool,
}

impl MonthCount {
    /// Registers of an ended month still open.
    pub fn late(&self) -> usize {
        if self.ended {
            self.total - self.closed
        } else {
            0
        }
    }
}

/// One IE's coverage.
#[derive(Debug, Serialize)]
pub struct SchoolCoverage {
    pub school_id: i64,
    pub code: String,
    pub name: String,
    /// One per month of `Coverage::months`, in order.
    pub months: Vec<MonthCount>,
    /// Registers of ended months still open.
    pub late: usize,
    /// Actas of an academic year that ended (the last one or the one before), still open.
    pub open_actas: usize,
}

/// The coverage of a unit's IEs.
#[derive(Debug, Serialize)]
pub struct Coverage {
    pub months: Vec<(i32, u32)>,
    pub schools: Vec<SchoolCoverage>,
}

/// The coverage of the IEs of a UGEL or a DRE (exactly one named) the caller reads, as of `at`;
/// in the order of their códigos modulares.
pub async fn of_unit(
    db: &impl ConnectionTrait,
    p: &Principal,
    ugel_id: Option<i64>,
    dre_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<Coverage> {
    let (target, schools) = schools_of_unit(db, None, ugel_id, dre_id).await?;
    p.authorize(Action::ReadRoster, &target)?;
    let mut schools = readable(p, &target, schools);
    schools.sort_by(|a, b| (&a.codigo_modular, a.anexo).cmp(&(&b.codigo_modular, b.anexo)));
    let today = at.with_timezone(&LIMA).date_naive();
    let Some(year) = academic_year::Entity::find()
        .filter(academic_year::Column::StartsOn.lte(today))
        .order_by_desc(academic_year::Column::StartsOn)
        .one(db)
        .await?
        .filter(|y| y.year >= today.year() - 1)
    else {
        return Ok(Coverage {
            months: Vec::new(),
            schools: Vec::new(),
        });
    };
    let months = register::months_until(&year, today);
    let sections = readable_sections(
        p,
        &target,
        &schools,
        sections_with_calendars(db, &schools, &year).await?,
    );
    let school_of: HashMap<i64, i64> = sections.iter().map(|(s, _)| (s.id, s.school_id)).collect();
    let month_index: HashMap<(i32, u32), usize> =
        months.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let empty = || -> Vec<MonthCount> {
        months
            .iter()
            .map(|month| MonthCount {
                closed: 0,
                total: 0,
                ended: ended(*month, today),
            })
            .collect()
    };
    let mut counts: HashMap<i64, Vec<MonthCount>> = HashMap::new();
    for (section, y, m, state, _) in register::states(db, &sections, &months, at).await? {
        let (Some(school), Some(index)) = (school_of.get(&section), month_index.get(&(y, m)))
        else {
            continue;
        };
        let row = counts.entry(*school).or_insert_with(empty);
        row[*index].total += 1;
        if state == State::Cerrado {
            row[*index].closed += 1;
        }
    }
    let open_actas = open_actas(db, &schools, today).await?;
    let schools = schools
        .into_iter()
        .map(|s| {
            let months_of = counts.remove(&s.id).unwrap_or_else(empty);
            SchoolCoverage {
                open_actas: open_actas.get(&s.id).copied().unwrap_or(0),
                school_id: s.id,
                code: format!("{}-{}", s.codigo_modular, s.anexo),
                late: months_of.iter().map(MonthCount::late).sum(),
                name: s.name,
                months: months_of,
            }
        })
        .collect();
    Ok(Coverage { months, schools })
}

/// Per IE: the actas of its sections whose academic year ended (the last one or the one
/// before) that are not closed.
async fn open_actas(
    db: &impl ConnectionTrait,
    schools: &[entity::school::Model],
    today: NaiveDate,
) -> Result<HashMap<i64, usize>> {
    let years: Vec<i64> = academic_year::Entity::find()
        .filter(academic_year::Column::EndsOn.lt(today))
        .filter(academic_year::Column::Year.gte(today.year() - 1))
        .all(db)
        .await?
        .into_iter()
        .map(|y| y.id)
        .collect();
    let mut out: HashMap<i64, usize> = HashMap::new();
    if years.is_empty() {
        return Ok(out);
    }
    for chunk in schools.chunks(500) {
        let sections = entity::section::Entity::find()
            .filter(entity::section::Column::SchoolId.is_in(chunk.iter().map(|s| s.id)))
            .filter(entity::section::Column::AcademicYearId.is_in(years.clone()))
            .all(db)
            .await?;
        let closed: std::collections::HashSet<i64> = entity::acta::Entity::find()
            .filter(entity::acta::Column::SectionId.is_in(sections.iter().map(|s| s.id)))
            .filter(entity::acta::Column::ClosedAt.is_not_null())
            .all(db)
            .await?
            .into_iter()
            .map(|a| a.section_id)
            .collect();
        for section in sections.iter().filter(|s| !closed.contains(&s.id)) {
            *out.entry(section.school_id).or_default() += 1;
        }
    }
    Ok(out)
}

/// Whether a month ended before `today`.
pub fn ended(month: (i32, u32), today: NaiveDate) -> bool {
    month < (today.year(), today.month())
}
