//! What the alerts select, with set-based queries (never a query per school).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Statement,
};

use entity::academic_year;

use crate::attendance::{
    progress,
    register::{self, State},
};

/// An IE and its director.
#[derive(Debug, Clone)]
pub struct SchoolInfo {
    pub id: i64,
    pub ugel_id: i64,
    pub name: String,
    pub code: String,
    pub director_name: Option<String>,
    pub director_email: Option<String>,
    /// A PRONOEI: its head is a coordinator, not a director.
    pub is_pronoei: bool,
}

/// A register of a month that is not closed.
#[derive(Debug, Clone)]
pub struct OpenRegister {
    pub grade: String,
    pub section: String,
    pub state: State,
    pub missing_days: usize,
}

/// Every IE with its active director (if any) and the director's e-mail (if its owner confirmed
/// it): one query, of the director's contact the database keeps beside each IE
/// (`director_contact`, kept by triggers on the assignments, people and confirmations it copies).
pub async fn schools_with_directors(
    db: &DatabaseConnection,
) -> anyhow::Result<HashMap<i64, SchoolInfo>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT s.id AS school_id, s.ugel_id, s.name, s.codigo_modular, s.anexo, s.is_pronoei, \
                    d.given_names, d.paternal_surname, d.email \
             FROM school s LEFT JOIN director_contact d ON d.school_id = s.id"
                .to_owned(),
        ))
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("", "school_id")?;
        let given: Option<String> = row.try_get("", "given_names")?;
        let surname: Option<String> = row.try_get("", "paternal_surname")?;
        let codigo: String = row.try_get("", "codigo_modular")?;
        let anexo: i16 = row.try_get("", "anexo")?;
        out.insert(
            id,
            SchoolInfo {
                id,
                ugel_id: row.try_get("", "ugel_id")?,
                name: row.try_get("", "name")?,
                code: format!("{codigo}-{anexo}"),
                director_name: jobs::outbox::director_name(given.as_deref(), surname.as_deref()),
                director_email: row.try_get("", "email")?,
                is_pronoei: row.try_get("", "is_pronoei")?,
            },
        );
    }
    Ok(out)
}

/// Each UGEL's active Especialista SIAGIE with an e-mail: one query.
pub async fn ugel_specialists(
    db: &DatabaseConnection,
) -> anyhow::Result<HashMap<i64, (String, String)>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT ra.ugel_id, p.given_names, p.email FROM role_assignment ra \
             JOIN user_account ua ON ua.id = ra.user_id JOIN person p ON p.id = ua.person_id \
             WHERE ra.role = 'ugel_specialist' AND ra.active = TRUE AND p.email IS NOT NULL"
                .to_owned(),
        ))
        .await?;
    let mut out = HashMap::new();
    for row in rows {
        out.insert(
            row.try_get("", "ugel_id")?,
            (row.try_get("", "given_names")?, row.try_get("", "email")?),
        );
    }
    Ok(out)
}

/// Registers of a month not closed, per IE (in IE order): the kept coverage is brought up to
/// date, then read in one query.
pub async fn open_registers(
    db: &DatabaseConnection,
    year: i32,
    month: u32,
    today: NaiveDate,
) -> anyhow::Result<Vec<(i64, Vec<OpenRegister>)>> {
    Ok(
        progress::open_registers_by_school(db, year, month, crate::time::now())
            .await?
            .into_iter()
            .map(|school| open_of(school, year, month, today))
            .collect(),
    )
}

/// An IE's registers of a month not closed, as of `today`, as its alert names them.
pub fn open_of(
    school: progress::SchoolRegisters,
    year: i32,
    month: u32,
    today: NaiveDate,
) -> (i64, Vec<OpenRegister>) {
    let registers = school
        .registers
        .into_iter()
        .map(|r| OpenRegister {
            state: r.tally.state(false),
            missing_days: r.tally.missing_days(year, month, today),
            grade: r.grade,
            section: r.section,
        })
        .collect();
    (school.school_id, registers)
}

/// Months of the current academic year that ended before `today`.
pub async fn past_months(
    db: &DatabaseConnection,
    today: NaiveDate,
) -> anyhow::Result<Vec<(i32, u32)>> {
    let Some(year) = academic_year::Entity::find()
        .filter(academic_year::Column::StartsOn.lte(today))
        .filter(academic_year::Column::Year.gte(today.year() - 1))
        .all(db)
        .await?
        .into_iter()
        .max_by_key(|y| y.starts_on)
    else {
        return Ok(Vec::new());
    };
    let month_start = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    Ok(register::months_until(&year, today)
        .into_iter()
        .filter(|(y, m)| NaiveDate::from_ymd_opt(*y, *m, 1).is_some_and(|d| d < month_start))
        .collect())
}

/// Per IE: tablets without a sync for `stale_days` days, and marks held for review.
pub async fn school_extras(
    db: &DatabaseConnection,
    stale_days: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<HashMap<i64, (Vec<String>, i64)>> {
    let mut out: HashMap<i64, (Vec<String>, i64)> = HashMap::new();
    let threshold = now - Duration::days(stale_days);
    for tablet in entity::device::Entity::find()
        .filter(entity::device::Column::RevokedAt.is_null())
        .filter(entity::device::Column::SchoolId.is_not_null())
        .all(db)
        .await?
    {
        let last = tablet.last_sync_at.unwrap_or(tablet.last_seen_at);
        if last < threshold
            && let Some(school) = tablet.school_id
        {
            let label = format!(
                "{} (última sincronización: {})",
                &tablet.id[..8],
                last.with_timezone(&crate::time::LIMA).format("%d/%m/%Y")
            );
            out.entry(school).or_default().0.push(label);
        }
    }
    let held = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT sec.school_id, COUNT(*) AS held FROM held_mark hm JOIN section sec ON sec.id = hm.section_id \
             WHERE hm.review = 'pending' GROUP BY sec.school_id"
                .to_owned(),
        ))
        .await?;
    for row in held {
        let school: i64 = row.try_get("", "school_id")?;
        let count: i64 = row.try_get("", "held")?;
        out.entry(school).or_default().1 = count;
    }
    Ok(out)
}
