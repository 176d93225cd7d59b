//! How far each monthly register is filled in, kept in `register_progress` so that the deadline
//! alerts read one row per register instead of every mark of the country.
//!
//! Whatever a register's coverage depends on (its marks, its enrollments, its IE's calendar)
//! marks the row stale, in the same transaction as the change, by bumping its `version`.
//! [`refresh`] recomputes the stale and missing rows of a month in bulk; a row that changed while
//! it was being recomputed stays stale, because the write compares the version it read.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    Statement, Value,
    sea_query::{Expr, Func, OnConflict},
};

use entity::{enrollment, register_progress, school, section, section_day};

use super::{
    calendar::{SchoolCalendar, month_days},
    enrolled::covers_span,
    register::State,
};
use crate::{db::dialect, error::Result};

/// Sections recomputed per round of queries.
const SECTIONS_PER_ROUND: usize = 2000;

/// A register's coverage: cells due and filled, and which days are complete.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub expected: usize,
    pub filled: usize,
    /// Bit `d - 1`: day `d` is academic with at least one student due.
    pub due_days: u32,
    /// Bit `d - 1`: every student due on day `d` has a mark.
    pub complete_days: u32,
}

impl Tally {
    pub fn state(&self, locked: bool) -> State {
        State::derive(self.expected, self.filled, locked)
    }

    /// Days with students due and marks missing, up to `until` (a day of the month or later).
    pub fn missing_days(&self, year: i32, month: u32, until: NaiveDate) -> usize {
        let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(until);
        if until < first {
            return 0;
        }
        let through = if (until.year(), until.month()) == (year, month) {
            until.day()
        } else {
            31
        };
        // Days 1..=through; `through` is at most 31, so the shift stays in range.
        let window = (1u32 << through) - 1;
        (self.due_days & !self.complete_days & window).count_ones() as usize
    }
}

/// The coverage of many sections' registers of one month, with three queries per 2,000 sections:
/// the enrollment spans, and the count of marks per section and day.
pub async fn tallies(
    db: &impl ConnectionTrait,
    sections: &[(section::Model, SchoolCalendar)],
    year: i32,
    month: u32,
) -> Result<HashMap<i64, Tally>> {
    let days = month_days(year, month);
    let (Some(first), Some(last)) = (days.first().copied(), days.last().copied()) else {
        return Ok(HashMap::new());
    };
    let mut out = HashMap::with_capacity(sections.len());
    for chunk in sections.chunks(SECTIONS_PER_ROUND) {
        let ids: Vec<i64> = chunk.iter().map(|(s, _)| s.id).collect();
        // Only the columns that decide coverage, grouped: students of a section usually share
        // one span.
        type Span = (i64, NaiveDate, String, Option<NaiveDate>, i64);
        let spans: Vec<Span> = enrollment::Entity::find()
            .select_only()
            .columns([
                enrollment::Column::SectionId,
                enrollment::Column::StartsOn,
                enrollment::Column::Status,
                enrollment::Column::StatusDate,
            ])
            .column_as(Expr::from(Func::count(Expr::val(1))), "students")
            .filter(enrollment::Column::SectionId.is_in(ids.clone()))
            .group_by(enrollment::Column::SectionId)
            .group_by(enrollment::Column::StartsOn)
            .group_by(enrollment::Column::Status)
            .group_by(enrollment::Column::StatusDate)
            .into_tuple()
            .all(db)
            .await?;
        let mut by_section: HashMap<i64, Vec<Span>> = HashMap::new();
        for span in spans {
            by_section.entry(span.0).or_default().push(span);
        }
        let counts: Vec<(i64, NaiveDate, i32)> = section_day::Entity::find()
            .select_only()
            .column(section_day::Column::SectionId)
            .column(section_day::Column::Date)
            .column(section_day::Column::Filled)
            .filter(section_day::Column::SectionId.is_in(ids))
            .filter(section_day::Column::Date.between(first, last))
            .into_tuple()
            .all(db)
            .await?;
        let counts: HashMap<(i64, NaiveDate), i64> = counts
            .into_iter()
            .map(|(s, d, n)| ((s, d), i64::from(n)))
            .collect();
        for (section, calendar) in chunk {
            let spans = by_section
                .get(&section.id)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let mut tally = Tally::default();
            for day in days.iter().filter(|d| calendar.is_academic(**d)) {
                let due = spans
                    .iter()
                    .filter(|(_, start, status, end, _)| covers_span(*start, status, *end, *day))
                    .map(|span| span.4.max(0) as usize)
                    .sum::<usize>();
                if due == 0 {
                    continue;
                }
                let got = counts.get(&(section.id, *day)).copied().unwrap_or(0).max(0) as usize;
                let bit = 1u32 << (day.day() - 1);
                tally.expected += due;
                tally.filled += got.min(due);
                tally.due_days |= bit;
                if got >= due {
                    tally.complete_days |= bit;
                }
            }
            out.insert(section.id, tally);
        }
    }
    Ok(out)
}

/// The month's registers to recompute, with the version read: the stale ones (through the index
/// on `year, month, stale`) and, when some section of the year has no row yet, those never
/// computed. Sections are never deleted and a month's rows belong to sections
/// of its academic year, so as many rows as sections means none is missing.
async fn pending(
    db: &DatabaseConnection,
    year: i32,
    month: u32,
    academic_year_id: i64,
) -> Result<Vec<(i64, i64)>> {
    let backend = db.get_database_backend();
    let month = month as i16;
    let stale = Statement::from_sql_and_values(
        backend,
        "SELECT section_id, version FROM register_progress \
         WHERE year = $1 AND month = $2 AND stale = TRUE",
        [year.into(), month.into()],
    );
    let count = |sql: &str, values: Vec<Value>| {
        let statement = Statement::from_sql_and_values(backend, sql, values);
        async move {
            let row = db.query_one_raw(statement).await?;
            Ok::<i64, sea_orm::DbErr>(match row {
                Some(row) => row.try_get("", "n")?,
                None => 0,
            })
        }
    };
    // Each count on its own connection, at once.
    let (sections, kept) = tokio::try_join!(
        count(
            "SELECT COUNT(*) AS n FROM section WHERE academic_year_id = $1",
            vec![academic_year_id.into()],
        ),
        count(
            "SELECT COUNT(*) AS n FROM register_progress WHERE year = $1 AND month = $2",
            vec![year.into(), month.into()],
        )
    )?;
    let statement = if kept >= sections {
        stale
    } else {
        Statement::from_sql_and_values(
            backend,
            "SELECT s.id AS section_id, COALESCE(rp.version, 0) AS version FROM section s \
             LEFT JOIN register_progress rp ON rp.section_id = s.id AND rp.year = $1 AND rp.month = $2 \
             WHERE s.academic_year_id = $3 AND (rp.section_id IS NULL OR rp.stale = TRUE)",
            [year.into(), month.into(), academic_year_id.into()],
        )
    };
    versions(db, statement).await
}

/// `(section_id, version)` rows of a query.
async fn versions(db: &DatabaseConnection, statement: Statement) -> Result<Vec<(i64, i64)>> {
    let rows = db.query_all_raw(statement).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push((row.try_get("", "section_id")?, row.try_get("", "version")?));
    }
    Ok(out)
}

/// Recomputes the month's registers that are stale or were never computed; returns how many.
pub async fn refresh(db: &DatabaseConnection, year: i32, month: u32) -> Result<usize> {
    let Ok((academic, _, _)) = super::overview::year_of_month(db, year, month).await else {
        return Ok(0);
    };
    recompute(db, year, month, &academic).await
}

/// Recomputes the month's registers that are stale or were never computed.
async fn recompute(
    db: &DatabaseConnection,
    year: i32,
    month: u32,
    academic: &entity::academic_year::Model,
) -> Result<usize> {
    let pending = pending(db, year, month, academic.id).await?;
    let mut schools: HashMap<i64, SchoolCalendar> = HashMap::new();
    for round in pending.chunks(SECTIONS_PER_ROUND) {
        let sections = section::Entity::find()
            .filter(section::Column::Id.is_in(round.iter().map(|(id, _)| *id)))
            .all(db)
            .await?;
        let missing: Vec<i64> = sections
            .iter()
            .map(|s| s.school_id)
            .filter(|id| !schools.contains_key(id))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !missing.is_empty() {
            let models = school::Entity::find()
                .filter(school::Column::Id.is_in(missing))
                .all(db)
                .await?;
            schools.extend(SchoolCalendar::for_schools(db, &models, academic).await?);
        }
        let with_calendars: Vec<(section::Model, SchoolCalendar)> = sections
            .into_iter()
            .filter_map(|s| {
                let calendar = schools.get(&s.school_id)?.clone();
                Some((s, calendar))
            })
            .collect();
        let tallies = tallies(db, &with_calendars, year, month).await?;
        let named: HashMap<i64, &section::Model> =
            with_calendars.iter().map(|(s, _)| (s.id, s)).collect();
        let at = crate::time::now();
        let rows = round.iter().filter_map(|(section_id, version)| {
            let tally = tallies.get(section_id)?;
            let section = named.get(section_id)?;
            Some(register_progress::ActiveModel {
                section_id: sea_orm::Set(*section_id),
                year: sea_orm::Set(year),
                month: sea_orm::Set(month as i16),
                expected: sea_orm::Set(tally.expected as i32),
                filled: sea_orm::Set(tally.filled as i32),
                due_days: sea_orm::Set(i64::from(tally.due_days)),
                complete_days: sea_orm::Set(i64::from(tally.complete_days)),
                version: sea_orm::Set(*version),
                stale: sea_orm::Set(false),
                computed_at: sea_orm::Set(at),
                school_id: sea_orm::Set(Some(section.school_id)),
                grade_id: sea_orm::Set(Some(section.grade_id)),
                section_name: sea_orm::Set(Some(section.name.clone())),
            })
        });
        let rows: Vec<_> = rows.collect();
        for chunk in rows.chunks(1000) {
            register_progress::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::columns([
                        register_progress::Column::SectionId,
                        register_progress::Column::Year,
                        register_progress::Column::Month,
                    ])
                    .update_columns([
                        register_progress::Column::Expected,
                        register_progress::Column::Filled,
                        register_progress::Column::DueDays,
                        register_progress::Column::CompleteDays,
                        register_progress::Column::ComputedAt,
                        register_progress::Column::SchoolId,
                        register_progress::Column::GradeId,
                        register_progress::Column::SectionName,
                    ])
                    // Changed since it was read: it stays stale for the next refresh.
                    .value(
                        register_progress::Column::Stale,
                        Expr::cust("register_progress.version <> excluded.version"),
                    )
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
    }
    Ok(pending.len())
}

/// A register of a month, as the alerts need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRow {
    pub grade: String,
    pub section: String,
    pub tally: Tally,
}

/// An IE's registers of a month that are not closed, in grade and section order.
#[derive(Debug, Clone)]
pub struct SchoolRegisters {
    pub school_id: i64,
    pub registers: Vec<RegisterRow>,
}

/// IEs sent together by [`send_open_registers`].
pub const SCHOOLS_PER_PART: usize = 2_000;

/// Per IE (in IE order), every register of a month that is not closed (or is open for an
/// exceptional modification at `now`), with its coverage brought up to date first.
pub async fn open_registers_by_school(
    db: &DatabaseConnection,
    year: i32,
    month: u32,
    now: DateTime<Utc>,
) -> Result<Vec<SchoolRegisters>> {
    let (to, mut parts) = tokio::sync::mpsc::channel(4);
    let collecting = async {
        let mut all = Vec::new();
        while let Some(part) = parts.recv().await {
            all.extend(part?);
        }
        Ok(all)
    };
    let ((), all) = tokio::join!(send_open_registers(db, year, month, now, to), collecting);
    all
}

/// [`open_registers_by_school`] sent [`SCHOOLS_PER_PART`] IEs at a time as they are read, so that
/// whoever takes them works while the rest is read; an error is sent as the last part. The
/// month's stale and never computed registers are computed first; then one query reads the kept
/// coverage through its index in IE order, a row per IE with its registers. On SQLite, which has
/// one writer, the whole month is read before the first part is sent: the reading connection is
/// free before anyone writes what the parts lead to.
pub async fn send_open_registers(
    db: &DatabaseConnection,
    year: i32,
    month: u32,
    now: DateTime<Utc>,
    to: tokio::sync::mpsc::Sender<Result<Vec<SchoolRegisters>>>,
) {
    if let Err(error) = read_open_registers(db, year, month, now, &to).await {
        let _ = to.send(Err(error)).await;
    }
}

/// The work of [`send_open_registers`].
async fn read_open_registers(
    db: &DatabaseConnection,
    year: i32,
    month: u32,
    now: DateTime<Utc>,
    to: &tokio::sync::mpsc::Sender<Result<Vec<SchoolRegisters>>>,
) -> Result<()> {
    use futures_util::TryStreamExt;
    use sea_orm::StreamTrait;

    let Ok((academic, _, _)) = super::overview::year_of_month(db, year, month).await else {
        return Ok(());
    };
    recompute(db, year, month, &academic).await?;
    let backend = db.get_database_backend();
    // Each register as `grade, expected, filled, due days, complete days, section name` joined by
    // the unit separator, the registers of an IE joined by the record separator (neither can be
    // left in a name): plain text is far cheaper to put together than JSON. A row marked stale
    // since the computation above has no IE yet: its group is left out.
    let name = dialect::without(backend, "COALESCE(rp.section_name, '')", &[30, 31]);
    let register = dialect::joined(
        backend,
        &[
            "COALESCE(rp.grade_id, 0)",
            "rp.expected",
            "rp.filled",
            "rp.due_days",
            "rp.complete_days",
            &name,
        ],
        31,
    );
    // Open: not locked, the negation of `engine::locked`; the locked registers of a month are
    // few beside its registers, and their set is hashed once.
    let registers = format!(
        "{} FILTER (WHERE rp.section_id NOT IN (\
            SELECT ar.section_id FROM attendance_register ar \
            WHERE ar.year = $1 AND ar.month = $2 AND ar.closed_at IS NOT NULL \
              AND (ar.modification_until IS NULL OR ar.modification_until <= $3)))",
        dialect::aggregate(backend, &register, 30)
    );
    let grades: HashMap<i64, (i16, String)> = entity::grade::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, (g.ordinal, g.name)))
        .collect();
    let statement = Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT rp.school_id, {registers} AS registers FROM register_progress rp \
             WHERE rp.year = $1 AND rp.month = $2 \
             GROUP BY rp.school_id ORDER BY rp.school_id"
        ),
        [year.into(), (month as i16).into(), now.into()],
    );
    let streams = backend == sea_orm::DatabaseBackend::Postgres;
    let mut part = Vec::with_capacity(SCHOOLS_PER_PART);
    let mut held = Vec::new();
    let mut rows = db.stream_raw(statement).await?;
    while let Some(row) = rows.try_next().await? {
        let school_id: Option<i64> = row.try_get("", "school_id")?;
        let text: Option<String> = row.try_get("", "registers")?;
        let (Some(school_id), Some(text)) = (school_id, text) else {
            continue;
        };
        part.push(SchoolRegisters {
            school_id,
            registers: parse_registers(&text, &grades)?,
        });
        if part.len() == SCHOOLS_PER_PART {
            let full = std::mem::replace(&mut part, Vec::with_capacity(SCHOOLS_PER_PART));
            if streams {
                if to.send(Ok(full)).await.is_err() {
                    return Ok(());
                }
            } else {
                held.push(full);
            }
        }
    }
    drop(rows);
    held.push(part);
    for part in held.into_iter().filter(|p| !p.is_empty()) {
        if to.send(Ok(part)).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// An IE's registers as the query of [`read_open_registers`] joins them, in grade and section
/// order.
fn parse_registers(text: &str, grades: &HashMap<i64, (i16, String)>) -> Result<Vec<RegisterRow>> {
    let malformed =
        || crate::error::ApiError::Internal(anyhow::anyhow!("registro de cobertura ilegible"));
    let mut registers: Vec<(i16, RegisterRow)> = Vec::with_capacity(8);
    for register in text.split('\u{1e}') {
        let mut fields = register.splitn(6, '\u{1f}');
        let mut number = || -> Result<i64> {
            fields
                .next()
                .and_then(|f| f.parse().ok())
                .ok_or_else(malformed)
        };
        let (grade, expected, filled, due_days, complete_days) =
            (number()?, number()?, number()?, number()?, number()?);
        let section = fields.next().ok_or_else(malformed)?.to_owned();
        let (ordinal, grade) = grades.get(&grade).cloned().unwrap_or_default();
        let tally = Tally {
            expected: expected.max(0) as usize,
            filled: filled.max(0) as usize,
            due_days: due_days as u32,
            complete_days: complete_days as u32,
        };
        registers.push((
            ordinal,
            RegisterRow {
                grade,
                section,
                tally,
            },
        ));
    }
    registers.sort_unstable_by(|a, b| (a.0, &a.1.section).cmp(&(b.0, &b.1.section)));
    Ok(registers.into_iter().map(|(_, r)| r).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> u32 {
        1 << (d - 1)
    }

    #[test]
    fn missing_days_count_incomplete_days_due_up_to_the_given_day() {
        // Days 4–8 due; 4 and 5 complete.
        let tally = Tally {
            expected: 150,
            filled: 60,
            due_days: (4..=8).map(day).sum(),
            complete_days: day(4) | day(5),
        };
        let may = |d| NaiveDate::from_ymd_opt(2026, 5, d).unwrap();
        assert_eq!(tally.missing_days(2026, 5, may(3)), 0);
        assert_eq!(tally.missing_days(2026, 5, may(6)), 1);
        assert_eq!(tally.missing_days(2026, 5, may(31)), 3);
        let june = NaiveDate::from_ymd_opt(2026, 6, 2).unwrap();
        assert_eq!(
            tally.missing_days(2026, 5, june),
            3,
            "a past month counts whole"
        );
        let april = NaiveDate::from_ymd_opt(2026, 4, 30).unwrap();
        assert_eq!(
            tally.missing_days(2026, 5, april),
            0,
            "a month not yet begun"
        );
    }

    #[test]
    fn day_31_is_counted() {
        let tally = Tally {
            expected: 1,
            filled: 0,
            due_days: day(31),
            complete_days: 0,
        };
        let last = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        assert_eq!(tally.missing_days(2026, 12, last), 1);
        assert_eq!(tally.state(false), State::SinDatos);
        assert_eq!(tally.state(true), State::Cerrado);
    }
}
