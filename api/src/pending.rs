//! "Pendientes": what a director (or a PRONOEI's coordinator) must do now in each of its IEs,
//! with the days left: registers of the academic year not closed (this month's due at its end,
//! earlier ones overdue), marks held for review, tablets that stopped syncing, certificate
//! requests waiting, actas to close and recuperaciones to record. The deadline
//! e-mails link to the page that shows it; each line names the page that resolves it.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use entity::{
    academic_year, acta, certificate_request,
    certificate_request::RequestStatus,
    device, held_mark, provisioning_request, section,
    vocabulary::{HeldReview, RequestStatus as ProvisioningStatus},
};

use crate::{
    attendance::{
        calendar::month_days,
        overview::{readable_sections, sections_with_calendars},
        register::{self, State},
    },
    auth::{
        policy::{Role, Unit},
        principal::Principal,
    },
    error::Result,
    registry::repo::school_scope,
    time::LIMA,
};

/// A register not closed.
#[derive(Debug, Serialize)]
pub struct OpenRegister {
    pub section_id: i64,
    pub grade: String,
    pub section: String,
    pub year: i32,
    pub month: u32,
    pub state: State,
    /// Its last day: the register is due closed by then.
    pub deadline: NaiveDate,
    /// Days from today to the deadline; negative once it passed.
    pub days_left: i64,
}

/// Marks held for review in one register.
#[derive(Debug, Serialize)]
pub struct HeldInRegister {
    pub section_id: i64,
    pub grade: String,
    pub section: String,
    pub year: i32,
    pub month: u32,
    pub marks: usize,
}

/// A tablet of the IE that has not synced for the configured days.
#[derive(Debug, Serialize)]
pub struct StaleTablet {
    /// The first characters of its id, as the tablet shows them.
    pub label: String,
    pub last_sync: DateTime<Utc>,
}

/// A section of the IE this year.
#[derive(Debug, Serialize)]
pub struct SectionOf {
    pub section_id: i64,
    pub grade: String,
    pub section: String,
}

/// What one IE needs from its director.
#[derive(Debug, Serialize)]
pub struct SchoolPending {
    pub school_id: i64,
    pub name: String,
    pub code: String,
    pub is_pronoei: bool,
    /// Overdue first, then by deadline.
    pub registers: Vec<OpenRegister>,
    pub held: Vec<HeldInRegister>,
    pub stale_tablets: Vec<StaleTablet>,
    /// Its sections of the academic year, by grade and name.
    pub sections: Vec<SectionOf>,
    /// Certificate requests waiting for the IE (from the public page or typed in).
    pub certificate_requests: u64,
    /// Actas of an academic year that ended, still open.
    pub open_actas: Vec<OpenActa>,
    /// Closed actas with students whose recuperación pedagógica is still to be recorded.
    pub recoveries: Vec<RecoveriesToRecord>,
    /// Altas and bajas of the IE's staff waiting for the director's decision.
    pub decisions: usize,
}

/// The acta of a section whose academic year ended, not closed.
#[derive(Debug, Serialize)]
pub struct OpenActa {
    pub section_id: i64,
    pub grade: String,
    pub section: String,
    pub year: i32,
}

/// The students of a closed acta left *requiere recuperación* whose result is not recorded: not
/// yet, or deleted when an exceptional modification changed the acta under it.
#[derive(Debug, Serialize)]
pub struct RecoveriesToRecord {
    pub section_id: i64,
    pub grade: String,
    pub section: String,
    pub year: i32,
    pub students: i64,
}

impl SchoolPending {
    /// Whether nothing is pending.
    pub fn is_clear(&self) -> bool {
        self.registers.is_empty()
            && self.held.is_empty()
            && self.stale_tablets.is_empty()
            && self.certificate_requests == 0
            && self.open_actas.is_empty()
            && self.recoveries.is_empty()
            && self.decisions == 0
    }
}

/// The IEs the caller directs.
pub fn directed_schools(p: &Principal) -> Vec<i64> {
    let mut ids: Vec<i64> = p
        .assignments
        .iter()
        .filter(|a| a.role == Role::Director)
        .filter_map(|a| match a.unit {
            Unit::School { school_id, .. } => Some(school_id),
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// What each IE the caller directs needs now, as of `at`; empty for anyone who directs none.
pub async fn of_director(
    db: &impl ConnectionTrait,
    p: &Principal,
    stale_days: i64,
    at: DateTime<Utc>,
) -> Result<Vec<SchoolPending>> {
    let today = at.with_timezone(&LIMA).date_naive();
    let mut out = Vec::new();
    for school_id in directed_schools(p) {
        out.push(of_school(db, p, school_id, stale_days, today, at).await?);
    }
    Ok(out)
}

async fn of_school(
    db: &impl ConnectionTrait,
    p: &Principal,
    school_id: i64,
    stale_days: i64,
    today: NaiveDate,
    at: DateTime<Utc>,
) -> Result<SchoolPending> {
    let scope = school_scope(db, school_id).await?;
    let schools = [scope.school.clone()];
    let year = academic_year::Entity::find()
        .filter(academic_year::Column::StartsOn.lte(today))
        .order_by_desc(academic_year::Column::StartsOn)
        .one(db)
        .await?
        .filter(|y| y.year >= today.year() - 1);
    let mut registers = Vec::new();
    let mut held = Vec::new();
    let mut listed = Vec::new();
    if let Some(year) = year {
        let sections = readable_sections(
            p,
            &scope.target,
            &schools,
            sections_with_calendars(db, &schools, &year).await?,
        );
        let grades: HashMap<i64, String> = entity::grade::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect();
        let names: HashMap<i64, (String, String)> = sections
            .iter()
            .map(|(s, _)| {
                let grade = grades.get(&s.grade_id).cloned().unwrap_or_default();
                (s.id, (grade, s.name.clone()))
            })
            .collect();
        listed = sections
            .iter()
            .map(|(s, _)| {
                let (grade, section) = names.get(&s.id).cloned().unwrap_or_default();
                SectionOf {
                    section_id: s.id,
                    grade,
                    section,
                }
            })
            .collect();
        let months = register::months_until(&year, today);
        for (section_id, y, m, state, _) in register::states(db, &sections, &months, at).await? {
            if state == State::Cerrado {
                continue;
            }
            let deadline = month_days(y, m).last().copied().unwrap_or(today);
            let (grade, section) = names.get(&section_id).cloned().unwrap_or_default();
            registers.push(OpenRegister {
                section_id,
                grade,
                section,
                year: y,
                month: m,
                state,
                deadline,
                days_left: (deadline - today).num_days(),
            });
        }
        registers.sort_by(|a, b| {
            (a.deadline, &a.grade, &a.section).cmp(&(b.deadline, &b.grade, &b.section))
        });
        let ids: Vec<i64> = sections.iter().map(|(s, _)| s.id).collect();
        let mut counts: HashMap<(i64, i32, u32), usize> = HashMap::new();
        for mark in held_mark::Entity::find()
            .filter(held_mark::Column::SectionId.is_in(ids))
            .filter(held_mark::Column::Review.eq(HeldReview::Pending))
            .all(db)
            .await?
        {
            *counts
                .entry((mark.section_id, mark.date.year(), mark.date.month()))
                .or_default() += 1;
        }
        let mut keys: Vec<_> = counts.into_iter().collect();
        keys.sort_by_key(|((section, y, m), _)| (*y, *m, *section));
        for ((section_id, y, m), marks) in keys {
            let (grade, section) = names.get(&section_id).cloned().unwrap_or_default();
            held.push(HeldInRegister {
                section_id,
                grade,
                section,
                year: y,
                month: m,
                marks,
            });
        }
    }
    let threshold = at - Duration::days(stale_days);
    let stale_tablets = device::Entity::find()
        .filter(device::Column::SchoolId.eq(school_id))
        .filter(device::Column::RevokedAt.is_null())
        .order_by_asc(device::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|tablet| {
            let last_sync = tablet.last_sync_at.unwrap_or(tablet.last_seen_at);
            (last_sync < threshold).then(|| StaleTablet {
                label: tablet.id.chars().take(8).collect(),
                last_sync,
            })
        })
        .collect();
    let certificate_requests = certificate_request::Entity::find()
        .filter(certificate_request::Column::SchoolId.eq(school_id))
        .filter(certificate_request::Column::Status.eq(RequestStatus::Pending))
        .count(db)
        .await?;
    let open_actas = open_actas(db, school_id, today).await?;
    let recoveries = recoveries_to_record(db, school_id).await?;
    let waiting = provisioning_request::Entity::find()
        .filter(provisioning_request::Column::SchoolId.eq(school_id))
        .filter(provisioning_request::Column::Status.eq(ProvisioningStatus::Pending))
        .all(db)
        .await?;
    let decisions = crate::provisioning::decided_by(db, p, &waiting).await?;
    let school = scope.school;
    Ok(SchoolPending {
        open_actas,
        recoveries,
        decisions,
        certificate_requests,
        school_id,
        code: format!("{}-{}", school.codigo_modular, school.anexo),
        name: school.name,
        is_pronoei: school.is_pronoei,
        registers,
        held,
        stale_tablets,
        sections: listed,
    })
}

/// The closed actas of an IE with students whose recuperación is to be recorded, of any year (an
/// exceptional modification deletes a recorded result wherever its acta is), newest first: one
/// query.
async fn recoveries_to_record(
    db: &impl ConnectionTrait,
    school_id: i64,
) -> Result<Vec<RecoveriesToRecord>> {
    let rows = db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT s.id AS section_id, g.name AS grade, s.name AS section, ay.year AS year, \
                    COUNT(*) AS students \
             FROM section s \
             JOIN academic_year ay ON ay.id = s.academic_year_id \
             JOIN grade g ON g.id = s.grade_id \
             JOIN acta a ON a.section_id = s.id AND a.closed_at IS NOT NULL \
             JOIN enrollment e ON e.section_id = s.id \
             JOIN final_situation fs ON fs.enrollment_id = e.id \
                  AND fs.situation = 'requiere_recuperacion' \
             LEFT JOIN recovery r ON r.enrollment_id = e.id \
             WHERE s.school_id = $1 AND r.enrollment_id IS NULL \
             GROUP BY s.id, g.ordinal, g.name, s.name, ay.year \
             ORDER BY ay.year DESC, g.ordinal, s.name",
            [school_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(RecoveriesToRecord {
                section_id: row.try_get("", "section_id")?,
                grade: row.try_get("", "grade")?,
                section: row.try_get("", "section")?,
                year: row.try_get("", "year")?,
                students: row.try_get("", "students")?,
            })
        })
        .collect()
}

/// The actas of an IE's sections whose academic year ended (the last one or the one before),
/// not closed.
async fn open_actas(
    db: &impl ConnectionTrait,
    school_id: i64,
    today: NaiveDate,
) -> Result<Vec<OpenActa>> {
    let ended: Vec<academic_year::Model> = academic_year::Entity::find()
        .filter(academic_year::Column::EndsOn.lt(today))
        .filter(academic_year::Column::Year.gte(today.year() - 1))
        .all(db)
        .await?;
    if ended.is_empty() {
        return Ok(Vec::new());
    }
    let years: HashMap<i64, i32> = ended.iter().map(|y| (y.id, y.year)).collect();
    let sections = section::Entity::find()
        .filter(section::Column::SchoolId.eq(school_id))
        .filter(section::Column::AcademicYearId.is_in(years.keys().copied()))
        .order_by_asc(section::Column::GradeId)
        .order_by_asc(section::Column::Name)
        .all(db)
        .await?;
    let closed: std::collections::HashSet<i64> = acta::Entity::find()
        .filter(acta::Column::SectionId.is_in(sections.iter().map(|s| s.id)))
        .filter(acta::Column::ClosedAt.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.section_id)
        .collect();
    let grades: HashMap<i64, String> = entity::grade::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    Ok(sections
        .into_iter()
        .filter(|s| !closed.contains(&s.id))
        .map(|s| OpenActa {
            section_id: s.id,
            grade: grades.get(&s.grade_id).cloned().unwrap_or_default(),
            year: years.get(&s.academic_year_id).copied().unwrap_or_default(),
            section: s.name,
        })
        .collect())
}
