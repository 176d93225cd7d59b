//! Deadline alerts (docs/domain.md §4): a reminder to directors before month end, overdue alerts
//! after it, and a digest to each Especialista SIAGIE UGEL. Every alert is written to the mail
//! outbox with a key that makes the same alert impossible to queue twice.

mod data;

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    attendance::progress,
    links::Links,
    time::{LIMA, now},
};
use data::OpenRegister;

/// The jobs this module runs.
pub const JOBS: [&str; 4] = [
    "deadline_reminder",
    "overdue_alert",
    "ugel_digest",
    "register_coverage",
];

const MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "setiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

fn month_name(month: u32) -> &'static str {
    MONTHS.get(month as usize - 1).copied().unwrap_or("")
}

fn last_day(year: i32, month: u32) -> NaiveDate {
    crate::attendance::calendar::month_days(year, month)
        .last()
        .copied()
        .unwrap_or_default()
}

/// Parts of a month's registers (`progress::SCHOOLS_PER_PART` IEs each) read ahead of the alerts
/// built: a country's worth, so the reading connection is free as soon as the query ends.
const PARTS_AHEAD: usize = 64;

/// Runs one alert job as of `at` and says what it queued.
pub async fn run(
    db: &DatabaseConnection,
    config: &jobs::JobsConfig,
    links: Links<'_>,
    job: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<String> {
    let today = at.with_timezone(&LIMA).date_naive();
    let pending = links.pending();
    match job {
        "deadline_reminder" => deadline_reminder(db, config, pending, today).await,
        "overdue_alert" => overdue_alert(db, config, pending, today).await,
        "ugel_digest" => ugel_digest(db, links.coverage(), today).await,
        "register_coverage" => register_coverage(db, links, today, at).await,
        other => anyhow::bail!("trabajo desconocido: {other} (use {})", JOBS.join(", ")),
    }
}

/// A register as a director's alert keeps it: `[grade, section, state, missing days]` (the
/// template writes the line).
fn register_entries(registers: &[OpenRegister]) -> Vec<(&str, &str, &'static str, usize)> {
    registers
        .iter()
        .map(|r| {
            (
                r.grade.as_str(),
                r.section.as_str(),
                r.state.code(),
                r.missing_days,
            )
        })
        .collect()
}

/// What a director's alert is rendered with (templates `deadline_reminder` and `overdue_alert`).
#[derive(serde::Serialize)]
struct DirectorAlert<'a> {
    name: Option<&'a str>,
    /// A PRONOEI's coordinator is addressed as such.
    is_pronoei: bool,
    school: &'a str,
    code: &'a str,
    month: &'static str,
    year: i32,
    deadline: &'a str,
    days_after: Option<i64>,
    registers: Vec<(&'a str, &'a str, &'static str, usize)>,
    stale_tablets: &'a [String],
    stale_days: i64,
    held_marks: i64,
    /// The director's "Pendientes" page, where each of these is resolved.
    pending: &'a str,
}

/// Which director's alert, for which month, and how many days after its deadline.
struct AlertKind {
    template: &'static str,
    /// The link to "Pendientes" every alert carries.
    pending: String,
    year: i32,
    month: u32,
    days_after: Option<i64>,
    /// The day the alert is sent, up to which missing days are counted.
    today: NaiveDate,
}

impl AlertKind {
    /// The outbox key that keeps an IE from getting this alert twice.
    fn key(&self, school_id: i64) -> String {
        let base = format!(
            "{}:{school_id}:{}-{:02}",
            self.template, self.year, self.month
        );
        match self.days_after {
            Some(days) => format!("{base}:{days}"),
            None => base,
        }
    }
}

/// One alert per IE with open registers and a director with e-mail, naming the IE's stale
/// tablets and held marks.
fn director_alerts(
    kind: &AlertKind,
    open: &[(i64, Vec<OpenRegister>)],
    schools: &HashMap<i64, data::SchoolInfo>,
    extras: &HashMap<i64, (Vec<String>, i64)>,
    config: &jobs::JobsConfig,
) -> anyhow::Result<Vec<jobs::outbox::Queued>> {
    let deadline = last_day(kind.year, kind.month)
        .format("%d/%m/%Y")
        .to_string();
    let mut outgoing = Vec::with_capacity(open.len());
    for (school_id, registers) in open {
        let Some(school) = schools.get(school_id) else {
            continue;
        };
        let Some(email) = &school.director_email else {
            continue;
        };
        let (stale_tablets, held_marks) = extras
            .get(school_id)
            .map_or((&[][..], 0), |(tablets, held)| (tablets.as_slice(), *held));
        let mail = jobs::templates::Mail::new(
            kind.template,
            &DirectorAlert {
                name: school.director_name.as_deref(),
                is_pronoei: school.is_pronoei,
                school: &school.name,
                code: &school.code,
                month: month_name(kind.month),
                year: kind.year,
                deadline: &deadline,
                days_after: kind.days_after,
                registers: register_entries(registers),
                stale_tablets,
                stale_days: config.stale_tablet_days,
                held_marks,
                pending: &kind.pending,
            },
        )?
        .for_director_of(*school_id);
        outgoing.push((email.clone(), mail, Some(kind.key(*school_id))));
    }
    Ok(outgoing)
}

/// Between alerts: recomputes the coverage of the registers changed since the last run, this
/// month and the one before (late marks), so that an alert run finds little left to do.
/// It also closes the exceptional modifications whose deadline has passed, telling each director.
async fn register_coverage(
    db: &DatabaseConnection,
    links: Links<'_>,
    today: NaiveDate,
    at: DateTime<Utc>,
) -> anyhow::Result<String> {
    use crate::{
        attendance::modification::RegisterModification, evaluation::modification::ActaModification,
        exceptional::close_expired,
    };
    let expired = close_expired::<RegisterModification>(db, links, at)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        + close_expired::<ActaModification>(db, links, at)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    let previous = today
        .with_day(1)
        .and_then(|first| first.pred_opt())
        .unwrap_or(today);
    let mut recomputed = 0;
    for day in [previous, today] {
        recomputed += progress::refresh(db, day.year(), day.month()).await?;
    }
    Ok(format!(
        "{recomputed} {}; {expired} {}",
        plural(
            recomputed as i64,
            "registro recalculado",
            "registros recalculados"
        ),
        plural(
            expired as i64,
            "modificación excepcional vencida",
            "modificaciones excepcionales vencidas"
        )
    ))
}

/// Before month end: each director with registers of the month not closed.
async fn deadline_reminder(
    db: &DatabaseConnection,
    config: &jobs::JobsConfig,
    pending: String,
    today: NaiveDate,
) -> anyhow::Result<String> {
    if today.day() < config.reminder_from_day {
        return Ok(format!(
            "antes del día {}: nada que avisar",
            config.reminder_from_day
        ));
    }
    let (year, month) = (today.year(), today.month());
    let started = std::time::Instant::now();
    let kind = AlertKind {
        template: "deadline_reminder",
        pending,
        year,
        month,
        days_after: None,
        today,
    };
    let queued = alert_month(db, kind, config, async {
        let (schools, extras) = tokio::try_join!(
            data::schools_with_directors(db),
            data::school_extras(db, config.stale_tablet_days, now()),
        )?;
        Ok((Arc::new(schools), Arc::new(extras)))
    })
    .await?;
    tracing::info!(
        queued,
        elapsed_ms = started.elapsed().as_millis(),
        "deadline reminder"
    );
    Ok(format!(
        "{queued} {} para {month:02}/{year}",
        plural(
            queued as i64,
            "recordatorio encolado",
            "recordatorios encolados"
        )
    ))
}

/// After the deadline: each month not closed, on the configured days after it ended.
async fn overdue_alert(
    db: &DatabaseConnection,
    config: &jobs::JobsConfig,
    pending: String,
    today: NaiveDate,
) -> anyhow::Result<String> {
    let schools = Arc::new(data::schools_with_directors(db).await?);
    let extras = Arc::new(data::school_extras(db, config.stale_tablet_days, now()).await?);
    let mut queued = 0;
    for (year, month) in data::past_months(db, today).await? {
        let days_after = (today - last_day(year, month)).num_days();
        if !config.overdue_days_after.contains(&days_after) {
            continue;
        }
        let kind = AlertKind {
            template: "overdue_alert",
            pending: pending.clone(),
            year,
            month,
            days_after: Some(days_after),
            today,
        };
        let known = (schools.clone(), extras.clone());
        queued += alert_month(db, kind, config, async { Ok(known) }).await?;
    }
    Ok(format!(
        "{queued} {}",
        plural(
            queued as i64,
            "alerta de atraso encolada",
            "alertas de atraso encoladas"
        )
    ))
}

/// The IEs of each UGEL with overdue registers, and the directors without e-mail who could not be
/// alerted, to the UGEL's Especialista SIAGIE.
async fn ugel_digest(
    db: &DatabaseConnection,
    coverage: String,
    today: NaiveDate,
) -> anyhow::Result<String> {
    let schools = data::schools_with_directors(db).await?;
    let mut overdue: BTreeMap<i64, BTreeMap<i64, Vec<String>>> = BTreeMap::new();
    for (year, month) in data::past_months(db, today).await? {
        for (school_id, registers) in data::open_registers(db, year, month, today).await? {
            let Some(school) = schools.get(&school_id) else {
                continue;
            };
            overdue
                .entry(school.ugel_id)
                .or_default()
                .entry(school.id)
                .or_default()
                .extend(registers.iter().map(|register| {
                    format!("{} {}/{year}", register_label(register), month_name(month))
                }));
        }
    }
    let specialists = data::ugel_specialists(db).await?;
    let mut outgoing = Vec::new();
    for (ugel_id, by_school) in overdue {
        let Some((name, email)) = specialists.get(&ugel_id) else {
            continue;
        };
        let lines: Vec<String> = by_school
            .iter()
            .filter_map(|(school_id, items)| {
                let school = schools.get(school_id)?;
                let mut periods: Vec<&String> = items.iter().collect();
                periods.dedup();
                Some(format!(
                    "{} ({}): {} {} sin cerrar",
                    school.name,
                    school.code,
                    periods.len(),
                    plural(periods.len() as i64, "registro", "registros")
                ))
            })
            .collect();
        let without_email: Vec<String> = by_school
            .keys()
            .filter_map(|id| schools.get(id))
            .filter(|s| s.director_email.is_none())
            .map(|s| {
                format!(
                    "{} ({}): {}",
                    s.name,
                    s.code,
                    s.director_name
                        .clone()
                        .unwrap_or_else(|| "sin director registrado".into())
                )
            })
            .collect();
        let mail = jobs::templates::Mail::new(
            "ugel_digest",
            &jobs::templates::context! {
                name => name,
                date => today.format("%d/%m/%Y").to_string(),
                schools => lines,
                without_email => without_email,
                coverage => &coverage,
            },
        )?;
        outgoing.push((
            email.clone(),
            mail,
            Some(format!("ugel_digest:{ugel_id}:{today}")),
        ));
    }
    let queued = enqueue_all(db, outgoing).await?;
    Ok(format!(
        "{queued} {}",
        plural(
            queued as i64,
            "resumen para UGEL encolado",
            "resúmenes para UGEL encolados"
        )
    ))
}

/// The IEs with their directors, and each IE's stale tablets and held marks.
type Directors = (
    Arc<HashMap<i64, data::SchoolInfo>>,
    Arc<HashMap<i64, (Vec<String>, i64)>>,
);

/// Queues one month's director alerts: its registers are read while `directors` are, and the
/// alerts are built and written as the registers arrive. Returns how many were new.
async fn alert_month(
    db: &DatabaseConnection,
    kind: AlertKind,
    config: &jobs::JobsConfig,
    directors: impl Future<Output = anyhow::Result<Directors>>,
) -> anyhow::Result<u64> {
    let (to, parts) = tokio::sync::mpsc::channel(PARTS_AHEAD);
    let reading = progress::send_open_registers(db, kind.year, kind.month, now(), to);
    let queuing = async {
        let (schools, extras) = directors.await?;
        queue_director_alerts(db, kind, parts, schools, extras, config.clone()).await
    };
    let ((), queued) = tokio::join!(reading, queuing);
    queued
}

/// Queues one month's director alerts, built on another thread a part at a time as the IEs'
/// registers arrive (`parts`, an error as the last part) while the parts before are written. On
/// PostgreSQL two connections write alternate parts, each in one transaction (should one fail,
/// the alerts the other wrote stay queued and a later run skips them by their key); SQLite, with
/// one writer, gets one. Returns how many were new.
async fn queue_director_alerts(
    db: &DatabaseConnection,
    kind: AlertKind,
    mut parts: tokio::sync::mpsc::Receiver<crate::error::Result<Vec<progress::SchoolRegisters>>>,
    schools: Arc<HashMap<i64, data::SchoolInfo>>,
    extras: Arc<HashMap<i64, (Vec<String>, i64)>>,
    config: jobs::JobsConfig,
) -> anyhow::Result<u64> {
    let writers = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => 2,
        _ => 1,
    };
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..writers)
        .map(|_| tokio::sync::mpsc::channel::<anyhow::Result<Vec<jobs::outbox::Queued>>>(1))
        .unzip();
    let builder = crate::time::spawn_blocking(move || {
        let mut n = 0;
        while let Some(part) = parts.blocking_recv() {
            let chunk = part.map_err(|e| anyhow::anyhow!("{e}")).and_then(|part| {
                let open: Vec<(i64, Vec<OpenRegister>)> = part
                    .into_iter()
                    .map(|school| data::open_of(school, kind.year, kind.month, kind.today))
                    .collect();
                director_alerts(&kind, &open, &schools, &extras, &config)
            });
            let failed = chunk.is_err();
            if senders[n % senders.len()].blocking_send(chunk).is_err() || failed {
                break;
            }
            n += 1;
        }
    });
    // Each writer begins at its first part: on SQLite the registers' coverage is written before
    // the first part is sent, and a writer begun earlier would hold the one write lock.
    let writing = receivers.into_iter().map(|mut ready| async move {
        let mut txn = None;
        let mut queued = 0;
        while let Some(chunk) = ready.recv().await {
            let chunk = chunk?;
            let txn = match txn {
                Some(ref txn) => txn,
                None => txn.insert(crate::db::begin(db).await?),
            };
            queued += jobs::outbox::enqueue_many(txn, chunk, now()).await?;
        }
        if let Some(txn) = txn {
            txn.commit().await?;
        }
        anyhow::Ok(queued)
    });
    let written = futures_util::future::try_join_all(writing).await;
    builder.await?;
    Ok(written?.into_iter().sum())
}

/// Writes the alerts to the outbox in one transaction; those already queued (same key) are
/// skipped. Returns how many were new.
async fn enqueue_all(
    db: &DatabaseConnection,
    outgoing: Vec<jobs::outbox::Queued>,
) -> anyhow::Result<u64> {
    let txn = crate::db::begin(db).await?;
    let queued = jobs::outbox::enqueue_many(&txn, outgoing, now()).await?;
    txn.commit().await?;
    Ok(queued)
}

fn register_label(register: &OpenRegister) -> String {
    format!("{} {}", register.grade, register.section)
}

/// The alert jobs, ready for the scheduler.
pub fn scheduled(
    db: DatabaseConnection,
    config: jobs::JobsConfig,
    base_url: String,
) -> Vec<(&'static str, jobs::schedule::JobFn)> {
    JOBS.iter()
        .map(|name| {
            let (db, config, base_url) = (db.clone(), config.clone(), base_url.clone());
            let work: jobs::schedule::JobFn = std::sync::Arc::new(move |at| {
                let (db, config, base_url) = (db.clone(), config.clone(), base_url.clone());
                Box::pin(async move { run(&db, &config, Links::new(&base_url), name, at).await })
            });
            (*name, work)
        })
        .collect()
}

/// The singular or the plural form, by count.
fn plural(n: i64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}
