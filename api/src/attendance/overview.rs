//! Register states for an IE, a UGEL or a DRE, and the monthly export for social programmes.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use entity::{academic_year, school, section, ugel};

use super::{
    calendar::SchoolCalendar,
    register::{self, State},
};
use crate::{
    auth::{
        policy::{Action, Target},
        principal::Principal,
    },
    error::{ApiError, ErrorCode, Result},
    registry::repo::school_scope,
    time::now,
};

/// The IEs of a unit named by exactly one of its ids, with the unit as an authorization target.
pub async fn schools_of_unit(
    db: &impl ConnectionTrait,
    school_id: Option<i64>,
    ugel_id: Option<i64>,
    dre_id: Option<i64>,
) -> Result<(Target, Vec<school::Model>)> {
    match (school_id, ugel_id, dre_id) {
        (Some(id), None, None) => {
            let scope = school_scope(db, id).await?;
            Ok((scope.target, vec![scope.school]))
        }
        (None, Some(id), None) => {
            let unit = ugel::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or_else(|| ApiError::not_found("la UGEL"))?;
            let schools = school::Entity::find()
                .filter(school::Column::UgelId.eq(id))
                .order_by_asc(school::Column::Id)
                .all(db)
                .await?;
            Ok((Target::ugel(unit.id, unit.dre_id), schools))
        }
        (None, None, Some(id)) => {
            entity::dre::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or_else(|| ApiError::not_found("la DRE"))?;
            let schools = school::Entity::find()
                .filter(
                    school::Column::UgelId.in_subquery(
                        sea_orm::sea_query::Query::select()
                            .column(ugel::Column::Id)
                            .from(ugel::Entity)
                            .and_where(ugel::Column::DreId.eq(id))
                            .to_owned(),
                    ),
                )
                .order_by_asc(school::Column::Id)
                .all(db)
                .await?;
            Ok((Target::dre(id), schools))
        }
        _ => Err(ApiError::because(
            ErrorCode::InvalidQuery,
            "Indique una sola unidad: school_id, ugel_id o dre_id.",
        )),
    }
}

/// The place of one IE of a unit, as an authorization target.
fn school_target(unit: &Target, school: &school::Model) -> Target {
    Target {
        dre_id: unit.dre_id,
        ugel_id: Some(school.ugel_id),
        school_id: Some(school.id),
        school_level: Some(school.level),
        section_id: None,
    }
}

/// The IEs of a unit whose rosters the caller reads: an Especialista del nivel only those of its
/// level, whatever unit it names.
pub fn readable(p: &Principal, unit: &Target, schools: Vec<school::Model>) -> Vec<school::Model> {
    schools
        .into_iter()
        .filter(|s| p.can(Action::ReadRoster, &school_target(unit, s)))
        .collect()
}

/// The sections the caller reads: a teacher only those it teaches.
pub fn readable_sections<T>(
    p: &Principal,
    unit: &Target,
    schools: &[school::Model],
    sections: Vec<(section::Model, T)>,
) -> Vec<(section::Model, T)> {
    let schools: HashMap<i64, &school::Model> = schools.iter().map(|s| (s.id, s)).collect();
    sections
        .into_iter()
        .filter(|(section, _)| {
            schools.get(&section.school_id).is_some_and(|school| {
                p.can(
                    Action::ReadRoster,
                    &school_target(unit, school).with_section(section.id),
                )
            })
        })
        .collect()
}

/// The academic year a month belongs to.
pub async fn year_of_month(
    db: &impl ConnectionTrait,
    year: i32,
    month: u32,
) -> Result<(academic_year::Model, NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)
        .ok_or_else(|| ApiError::field("month", "El mes no es válido."))?;
    let last = super::calendar::month_days(year, month)
        .last()
        .copied()
        .unwrap_or(first);
    let academic = academic_year::Entity::find()
        .filter(academic_year::Column::Year.eq(first.year()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("el año académico {year}")))?;
    Ok((academic, first, last))
}

/// The sections of some IEs in a year, each with its IE's calendar.
pub async fn sections_with_calendars(
    db: &impl ConnectionTrait,
    schools: &[school::Model],
    year: &academic_year::Model,
) -> Result<Vec<(section::Model, SchoolCalendar)>> {
    let calendars: HashMap<i64, SchoolCalendar> =
        SchoolCalendar::for_schools(db, schools, year).await?;
    let mut out = Vec::new();
    for chunk in schools.chunks(500) {
        let sections = section::Entity::find()
            .filter(section::Column::SchoolId.is_in(chunk.iter().map(|s| s.id)))
            .filter(section::Column::AcademicYearId.eq(year.id))
            .order_by_asc(section::Column::SchoolId)
            .order_by_asc(section::Column::GradeId)
            .order_by_asc(section::Column::Name)
            .all(db)
            .await?;
        for section in sections {
            if let Some(calendar) = calendars.get(&section.school_id) {
                out.push((section, calendar.clone()));
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatesFilter {
    pub school_id: Option<i64>,
    pub ugel_id: Option<i64>,
    pub dre_id: Option<i64>,
    pub year: i32,
    pub month: u32,
    /// Only registers in this state: `sin_datos`, `parcial`, `completo` or `cerrado`.
    pub state: Option<String>,
    /// With `per_page`, one page of the list (the whole count in `X-Total-Count`).
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// The state of one section's register.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateRow {
    pub school_id: i64,
    pub school_code: String,
    pub school_name: String,
    pub section_id: i64,
    pub grade: String,
    pub section: String,
    pub state: State,
    pub modification_until: Option<DateTime<Utc>>,
}

/// Register states of every section of an IE, a UGEL or a DRE for a month.
pub async fn states_of_unit(
    db: &DatabaseConnection,
    p: &Principal,
    filter: &StatesFilter,
) -> Result<Vec<StateRow>> {
    let (target, schools) =
        schools_of_unit(db, filter.school_id, filter.ugel_id, filter.dre_id).await?;
    p.authorize(Action::ReadRoster, &target)?;
    let schools = readable(p, &target, schools);
    let (year, _, _) = year_of_month(db, filter.year, filter.month).await?;
    let sections = readable_sections(
        p,
        &target,
        &schools,
        sections_with_calendars(db, &schools, &year).await?,
    );
    let states = register::states(db, &sections, &[(filter.year, filter.month)], now()).await?;
    let grades: std::collections::HashMap<i64, String> = entity::grade::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let schools: std::collections::HashMap<i64, &entity::school::Model> =
        schools.iter().map(|s| (s.id, s)).collect();
    let sections: std::collections::HashMap<i64, &entity::section::Model> =
        sections.iter().map(|(s, _)| (s.id, s)).collect();
    let wanted = match filter.state.as_deref() {
        None => None,
        Some(code) => Some(
            [
                State::SinDatos,
                State::Parcial,
                State::Completo,
                State::Cerrado,
            ]
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or_else(|| {
                ApiError::field(
                    "state",
                    "El estado debe ser sin_datos, parcial, completo o cerrado.",
                )
            })?,
        ),
    };
    let rows: Vec<StateRow> = states
        .into_iter()
        .filter(|(_, _, _, state, _)| wanted.is_none_or(|w| w == *state))
        .filter_map(|(section_id, _, _, state, until)| {
            let section = sections.get(&section_id)?;
            let school = schools.get(&section.school_id)?;
            Some(StateRow {
                school_id: school.id,
                school_code: format!("{}-{}", school.codigo_modular, school.anexo),
                school_name: school.name.clone(),
                section_id,
                grade: grades.get(&section.grade_id).cloned().unwrap_or_default(),
                section: section.name.clone(),
                state,
                modification_until: until,
            })
        })
        .collect();
    Ok(rows)
}
