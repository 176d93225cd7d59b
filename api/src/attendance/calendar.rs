//! Which days of an IE carry attendance: inside the academic year, Monday to Friday, and not a
//! non-academic day of the nation, the IE's UGEL or the IE.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Weekday};
use sea_orm::{ActiveEnum, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use entity::vocabulary::DayScope;
use entity::{academic_year, non_academic_day, school};

use crate::{db::one_of, error::Result};

/// The calendar of one IE for one academic year.
#[derive(Debug, Clone)]
pub struct SchoolCalendar {
    pub year: academic_year::Model,
    /// Date → (scope, description) of the declared non-academic days.
    pub declared: HashMap<NaiveDate, (String, String)>,
}

/// Why a day carries no attendance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Academic,
    OutsideYear,
    Weekend,
    NonAcademic,
}

impl SchoolCalendar {
    pub async fn load(
        db: &impl ConnectionTrait,
        school: &school::Model,
        year: academic_year::Model,
    ) -> Result<Self> {
        let days = non_academic_day::Entity::find()
            .filter(non_academic_day::Column::AcademicYearId.eq(year.id))
            .filter(
                Condition::any()
                    .add(non_academic_day::Column::Scope.eq(DayScope::National))
                    .add(non_academic_day::Column::UgelId.eq(school.ugel_id))
                    .add(non_academic_day::Column::SchoolId.eq(school.id)),
            )
            .all(db)
            .await?;
        Ok(Self::among(&days, school, &year))
    }

    /// The calendars of these IEs, each for the given academic year, with one query: the days
    /// declared for the nation, for their UGELs or for the IEs themselves.
    pub async fn load_many(
        db: &impl ConnectionTrait,
        wanted: &[(&school::Model, &academic_year::Model)],
    ) -> Result<HashMap<(i64, i64), Self>> {
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let ids = |f: fn(&school::Model) -> i64| {
            let mut ids: Vec<i64> = wanted.iter().map(|(s, _)| f(s)).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let mut years: Vec<i64> = wanted.iter().map(|(_, y)| y.id).collect();
        years.sort_unstable();
        years.dedup();
        let backend = db.get_database_backend();
        let days = non_academic_day::Entity::find()
            .filter(one_of(
                backend,
                non_academic_day::Column::AcademicYearId,
                years,
            ))
            .filter(
                Condition::any()
                    .add(non_academic_day::Column::Scope.eq(DayScope::National))
                    .add(one_of(
                        backend,
                        non_academic_day::Column::UgelId,
                        ids(|s| s.ugel_id),
                    ))
                    .add(one_of(
                        backend,
                        non_academic_day::Column::SchoolId,
                        ids(|s| s.id),
                    )),
            )
            .all(db)
            .await?;
        Ok(wanted
            .iter()
            .map(|(school, year)| {
                let calendar = Self::among(&days, school, year);
                ((school.id, year.id), calendar)
            })
            .collect())
    }

    /// The calendars of many IEs of one year, with one query.
    pub async fn for_schools(
        db: &impl ConnectionTrait,
        schools: &[school::Model],
        year: &academic_year::Model,
    ) -> Result<HashMap<i64, Self>> {
        let days = non_academic_day::Entity::find()
            .filter(non_academic_day::Column::AcademicYearId.eq(year.id))
            .all(db)
            .await?;
        Ok(schools
            .iter()
            .map(|school| (school.id, Self::among(&days, school, year)))
            .collect())
    }

    /// The calendar of an IE for a year, out of days read for many: those of that year declared
    /// for the nation, the IE's UGEL or the IE.
    fn among(
        days: &[non_academic_day::Model],
        school: &school::Model,
        year: &academic_year::Model,
    ) -> Self {
        let declared = days
            .iter()
            .filter(|d| {
                d.academic_year_id == year.id
                    && (d.scope == DayScope::National
                        || d.ugel_id == Some(school.ugel_id)
                        || d.school_id == Some(school.id))
            })
            .map(|d| (d.date, (d.scope.to_value(), d.description.clone())))
            .collect();
        Self {
            year: year.clone(),
            declared,
        }
    }

    pub fn kind(&self, date: NaiveDate) -> DayKind {
        if date < self.year.starts_on || date > self.year.ends_on {
            DayKind::OutsideYear
        } else if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            DayKind::Weekend
        } else if self.declared.contains_key(&date) {
            DayKind::NonAcademic
        } else {
            DayKind::Academic
        }
    }

    pub fn is_academic(&self, date: NaiveDate) -> bool {
        self.kind(date) == DayKind::Academic
    }

    /// Every day of the year without attendance (weekends and declared days), for tablets.
    pub fn non_academic_days(&self) -> Vec<(NaiveDate, String, String)> {
        self.year
            .starts_on
            .iter_days()
            .take_while(|d| *d <= self.year.ends_on)
            .filter_map(|day| match self.kind(day) {
                DayKind::Weekend => Some((day, "weekend".to_owned(), "Fin de semana".to_owned())),
                DayKind::NonAcademic => {
                    let (scope, description) = self.declared[&day].clone();
                    Some((day, scope, description))
                }
                _ => None,
            })
            .collect()
    }
}

/// The days of a month.
pub fn month_days(year: i32, month: u32) -> Vec<NaiveDate> {
    let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
        return Vec::new();
    };
    first
        .iter_days()
        .take_while(|d| d.month() == month)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_has_its_days() {
        assert_eq!(month_days(2026, 2).len(), 28);
        assert_eq!(month_days(2028, 2).len(), 29);
        assert_eq!(month_days(2026, 12).len(), 31);
        assert!(month_days(2026, 13).is_empty());
    }

    #[test]
    fn weekends_holidays_and_days_outside_the_year_carry_no_attendance() {
        let year = academic_year::Model {
            id: 1,
            year: 2026,
            starts_on: NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2026, 12, 18).unwrap(),
        };
        let holiday = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        let calendar = SchoolCalendar {
            year,
            declared: HashMap::from([(holiday, ("national".into(), "Día del Trabajo".into()))]),
        };
        assert_eq!(
            calendar.kind(NaiveDate::from_ymd_opt(2026, 4, 6).unwrap()),
            DayKind::Academic
        );
        assert_eq!(
            calendar.kind(NaiveDate::from_ymd_opt(2026, 4, 4).unwrap()),
            DayKind::Weekend
        );
        assert_eq!(calendar.kind(holiday), DayKind::NonAcademic);
        assert_eq!(
            calendar.kind(NaiveDate::from_ymd_opt(2026, 3, 6).unwrap()),
            DayKind::OutsideYear
        );
        assert_eq!(
            calendar.kind(NaiveDate::from_ymd_opt(2026, 12, 21).unwrap()),
            DayKind::OutsideYear
        );
    }
}
