//! What a tablet needs offline (`GET /sync/pull`): a full snapshot, or the changes since a
//! cursor.

use std::collections::{BTreeSet, HashMap, HashSet};

use mobile_contract::{
    CalendarDay, PullResponse, RegisterState, Removed, SyncSection, SyncStudent,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, Func},
};
use serde::Deserialize;
use utoipa::IntoParams;

use entity::{
    academic_year, change_log, enrollment, grade, school, section, student,
    vocabulary::EnrollmentStatus,
};

use crate::{
    attendance::{calendar::SchoolCalendar, register},
    auth::{
        policy::{Role, Unit},
        principal::Principal,
    },
    error::Result,
    record::{ChangeKind, Reach},
    time::{LIMA, now, today_lima},
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullParams {
    /// The cursor of the previous pull; without it, a full snapshot.
    pub since: Option<String>,
}

const CURSOR_PREFIX: &str = "v1.";

fn parse_cursor(cursor: Option<&str>, latest: i64) -> Option<i64> {
    let seq: i64 = cursor?.strip_prefix(CURSOR_PREFIX)?.parse().ok()?;
    (0..=latest).contains(&seq).then_some(seq)
}

/// What the tablet needs offline: sections, students, calendar, register states and removals.
pub async fn pull(
    db: &DatabaseConnection,
    p: &Principal,
    since: Option<&str>,
) -> Result<PullResponse> {
    // Read the log position first: a change committed while this pull runs is sent again next
    // time rather than lost.
    let latest: Option<i64> = change_log::Entity::find()
        .select_only()
        .column_as(
            Expr::from(Func::max(Expr::col(change_log::Column::Seq))),
            "latest",
        )
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    let latest = latest.unwrap_or(0);
    let since = parse_cursor(since, latest);

    let visible = visible_sections(db, p).await?;
    let changed = changed_since(db, p, &visible, since, latest).await?;
    let years: HashMap<i64, academic_year::Model> = academic_year::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|y| (y.id, y))
        .collect();
    let sent: Vec<&section::Model> = visible
        .iter()
        .filter(|s| changed.sections.contains(&s.id))
        .collect();
    let sections = sections_of(db, &sent, &years).await?;
    let mut removed = sections_gone(db, p, &visible, &changed.sections).await?;
    let students = students_of(db, &sent, changed.full, &mut removed).await?;
    let (calendar, registers) =
        calendar_and_registers(db, &visible, &years, changed.calendar).await?;

    Ok(PullResponse {
        cursor: format!("{CURSOR_PREFIX}{latest}"),
        full: changed.full,
        sections,
        students,
        calendar,
        registers,
        removed,
    })
}

/// What changed for a caller since its cursor: everything on a first pull (`full`), else the
/// sections the log names in its IEs and whether a calendar changed.
struct Changed {
    full: bool,
    sections: HashSet<i64>,
    calendar: bool,
}

/// What changed for the caller between its cursor and `latest`, from the change log.
async fn changed_since(
    db: &impl ConnectionTrait,
    p: &Principal,
    visible: &[section::Model],
    since: Option<i64>,
    latest: i64,
) -> Result<Changed> {
    let Some(seq) = since else {
        return Ok(Changed {
            full: true,
            sections: visible.iter().map(|s| s.id).collect(),
            calendar: true,
        });
    };
    let school_ids: BTreeSet<i64> = p
        .assignments
        .iter()
        .filter_map(|a| match a.unit {
            Unit::School { school_id, .. } => Some(school_id),
            _ => None,
        })
        .collect();
    let changes = change_log::Entity::find()
        .filter(change_log::Column::Seq.gt(seq))
        .filter(change_log::Column::Seq.lte(latest))
        .filter(
            Condition::any()
                .add(change_log::Column::SchoolId.is_in(school_ids.iter().copied()))
                .add(change_log::Column::SchoolId.eq(Reach::COUNTRY_SCHOOL_ID)),
        )
        .all(db)
        .await?;
    Ok(Changed {
        full: false,
        sections: changes.iter().filter_map(|c| c.section_id).collect(),
        calendar: changes.iter().any(|c| c.kind == ChangeKind::Calendar),
    })
}

/// The sections sent, as the tablet reads them.
async fn sections_of(
    db: &impl ConnectionTrait,
    sent: &[&section::Model],
    years: &HashMap<i64, academic_year::Model>,
) -> Result<Vec<SyncSection>> {
    let grades: HashMap<i64, String> = grade::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    Ok(sent
        .iter()
        .map(|s| SyncSection {
            id: s.id.to_string(),
            school_id: s.school_id.to_string(),
            grade: grades.get(&s.grade_id).cloned().unwrap_or_default(),
            name: s.name.clone(),
            academic_year: years
                .get(&s.academic_year_id)
                .map(|y| y.year)
                .unwrap_or_default(),
        })
        .collect())
}

/// The changed sections the caller no longer takes attendance in, in id order (the same pull
/// answers the same list). A teacher hears of the removal of a section it taught, not of every
/// other section of its IE.
async fn sections_gone(
    db: &impl ConnectionTrait,
    p: &Principal,
    visible: &[section::Model],
    affected: &HashSet<i64>,
) -> Result<Vec<Removed>> {
    let visible_ids: HashSet<i64> = visible.iter().map(|s| s.id).collect();
    let ever_taught: Option<HashSet<i64>> =
        match p.reach(crate::auth::Action::TakeAttendance).sections_only {
            Some(_) => Some(
                entity::teacher_section::Entity::find()
                    .filter(entity::teacher_section::Column::PersonId.eq(p.person_id))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|t| t.section_id)
                    .collect(),
            ),
            None => None,
        };
    let mut gone: Vec<i64> = affected
        .iter()
        .copied()
        .filter(|id| !visible_ids.contains(id))
        .filter(|id| {
            ever_taught
                .as_ref()
                .is_none_or(|taught| taught.contains(id))
        })
        .collect();
    gone.sort_unstable();
    Ok(gone
        .into_iter()
        .map(|id| Removed {
            kind: "section".into(),
            id: id.to_string(),
            section_id: None,
        })
        .collect())
}

/// The students of the sections sent; on a pull since a cursor, those no longer active are also
/// `removed`.
async fn students_of(
    db: &impl ConnectionTrait,
    sent: &[&section::Model],
    full: bool,
    removed: &mut Vec<Removed>,
) -> Result<Vec<SyncStudent>> {
    let mut students = Vec::new();
    let sent_ids: Vec<i64> = sent.iter().map(|s| s.id).collect();
    for chunk in sent_ids.chunks(500) {
        let rows = enrollment::Entity::find()
            .filter(enrollment::Column::SectionId.is_in(chunk.to_vec()))
            .find_also_related(student::Entity)
            .order_by_asc(enrollment::Column::Id)
            .all(db)
            .await?;
        for (e, s) in rows {
            let Some(s) = s else { continue };
            if e.status != EnrollmentStatus::Activo && !full {
                removed.push(Removed {
                    kind: "student".into(),
                    id: s.id.to_string(),
                    section_id: Some(e.section_id.to_string()),
                });
            }
            students.push(SyncStudent {
                id: s.id.to_string(),
                section_id: e.section_id.to_string(),
                dni: s.dni,
                student_code: s.student_code,
                paternal_surname: s.paternal_surname,
                maternal_surname: s.maternal_surname,
                given_names: s.given_names,
                enrollment_start: e.starts_on,
                status: e.status.code().to_owned(),
                status_date: e.status_date,
            });
        }
    }

    Ok(students)
}

/// The non-academic days of the visible sections' IEs (when a calendar changed) and the state of
/// every register of their months up to today.
async fn calendar_and_registers(
    db: &impl ConnectionTrait,
    visible: &[section::Model],
    years: &HashMap<i64, academic_year::Model>,
    calendar_changed: bool,
) -> Result<(Vec<CalendarDay>, Vec<RegisterState>)> {
    let school_ids: HashSet<i64> = visible.iter().map(|s| s.school_id).collect();
    let schools: HashMap<i64, school::Model> = school::Entity::find()
        .filter(school::Column::Id.is_in(school_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let wanted: HashSet<(i64, i64)> = visible
        .iter()
        .map(|s| (s.school_id, s.academic_year_id))
        .collect();
    let wanted: Vec<_> = wanted
        .into_iter()
        .filter_map(|(school, year)| Some((schools.get(&school)?, years.get(&year)?)))
        .collect();
    let calendars = SchoolCalendar::load_many(db, &wanted).await?;
    let mut calendar = Vec::new();
    if calendar_changed {
        let mut seen = HashSet::new();
        for cal in calendars.values() {
            for (date, scope, description) in cal.non_academic_days() {
                if seen.insert(date) {
                    calendar.push(CalendarDay {
                        date,
                        description,
                        scope,
                    });
                }
            }
        }
        calendar.sort_by_key(|d| d.date);
    }
    let today = today_lima();
    let with_calendars: Vec<(section::Model, SchoolCalendar)> = visible
        .iter()
        .filter_map(|s| {
            calendars
                .get(&(s.school_id, s.academic_year_id))
                .map(|c| (s.clone(), c.clone()))
        })
        .collect();
    let months: BTreeSet<(i32, u32)> = calendars
        .values()
        .flat_map(|c| register::months_until(&c.year, today))
        .collect();
    let months: Vec<(i32, u32)> = months.into_iter().collect();
    let registers = register::states(db, &with_calendars, &months, now())
        .await?
        .into_iter()
        .map(|(section_id, year, month, state, until)| RegisterState {
            section_id: section_id.to_string(),
            year,
            month,
            state: state.code().to_owned(),
            modification_open_until: until.map(|u| u.with_timezone(&LIMA).fixed_offset()),
        })
        .collect();

    Ok((calendar, registers))
}

/// The sections a caller takes attendance in, in the current academic year: those it teaches, or
/// every section of the IE it directs.
async fn visible_sections(db: &impl ConnectionTrait, p: &Principal) -> Result<Vec<section::Model>> {
    let today = today_lima();
    let year = academic_year::Entity::find()
        .filter(academic_year::Column::StartsOn.lte(today))
        .order_by_desc(academic_year::Column::StartsOn)
        .one(db)
        .await?;
    let Some(year) = year else {
        return Ok(Vec::new());
    };
    let directed: Vec<i64> = p
        .assignments
        .iter()
        .filter_map(|a| match (a.role, a.unit) {
            (Role::Director, Unit::School { school_id, .. }) => Some(school_id),
            _ => None,
        })
        .collect();
    let condition = Condition::any()
        .add(section::Column::Id.is_in(p.taught_sections.clone()))
        .add(section::Column::SchoolId.is_in(directed));
    Ok(section::Entity::find()
        .filter(section::Column::AcademicYearId.eq(year.id))
        .filter(condition)
        .order_by_asc(section::Column::Id)
        .all(db)
        .await?)
}
