//! The scheduler: each job's schedule is a setting (cron, America/Lima time); an empty schedule
//! disables the job; a failing run is logged and the others go on. Each scheduled occurrence is
//! claimed in the database first, so with several server instances it runs once in total.

use std::{future::Future, pin::Pin, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};
use serde::Deserialize;
use tokio_cron_scheduler::{Job, JobScheduler};

use entity::job_run;

/// America/Lima.
pub const LIMA: chrono_tz::Tz = chrono_tz::America::Lima;

/// Schedules and parameters of the deadline alerts.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct JobsConfig {
    /// Reminder before month end to directors with registers still open (cron with seconds,
    /// Lima time; empty disables it).
    pub deadline_reminder: String,
    /// Overdue alerts to directors of months not closed.
    pub overdue_alert: String,
    /// Digest to each Especialista SIAGIE UGEL of the IEs with overdue registers.
    pub ugel_digest: String,
    /// Recomputes the coverage of the registers changed since the last run (this month and the
    /// one before), so that the alerts find it up to date.
    pub register_coverage: String,
    /// The reminder starts on this day of the month.
    pub reminder_from_day: u32,
    /// Overdue alerts are sent on these days after the month ended.
    pub overdue_days_after: Vec<i64>,
    /// A tablet that has not synced for this many days is reported to the director.
    pub stale_tablet_days: i64,
    // Help desk
    /// The help desk's SLA warnings (80 % and breach, in working hours only) and the closing of
    /// resolved tickets the requester did not answer.
    pub helpdesk_sla: String,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            deadline_reminder: "0 0 7 * * *".into(),
            overdue_alert: "0 30 7 * * *".into(),
            ugel_digest: "0 0 8 * * *".into(),
            register_coverage: "0 */10 * * * *".into(),
            reminder_from_day: 25,
            overdue_days_after: vec![1, 3, 7],
            stale_tablet_days: 7,
            helpdesk_sla: "0 */15 * * * *".into(),
        }
    }
}

impl JobsConfig {
    /// Checks every schedule, with a message for the operator.
    pub fn validate(&self) -> Result<(), String> {
        for (name, schedule) in self.schedules() {
            if !schedule.trim().is_empty()
                && Job::new_async_tz(schedule, LIMA, |_, _| Box::pin(async {})).is_err()
            {
                return Err(format!(
                    "jobs.{name}: expresión cron no válida: «{schedule}» (use segundos minutos horas día mes día_semana)"
                ));
            }
        }
        if !(1..=28).contains(&self.reminder_from_day) {
            return Err("jobs.reminder_from_day debe estar entre 1 y 28".into());
        }
        Ok(())
    }

    /// (job name, schedule) of every job.
    pub fn schedules(&self) -> [(&'static str, &str); 5] {
        [
            ("deadline_reminder", self.deadline_reminder.as_str()),
            ("overdue_alert", self.overdue_alert.as_str()),
            ("ugel_digest", self.ugel_digest.as_str()),
            ("register_coverage", self.register_coverage.as_str()),
            ("helpdesk_sla", self.helpdesk_sla.as_str()),
        ]
    }
}

/// The work of one job at an instant.
pub type JobFn = Arc<
    dyn Fn(DateTime<Utc>) -> Pin<Box<dyn Future<Output = anyhow::Result<String>> + Send>>
        + Send
        + Sync,
>;

/// Claims one occurrence of a job: `true` for exactly one caller across every instance.
pub async fn claim(
    db: &DatabaseConnection,
    job: &str,
    run_key: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let inserted = job_run::Entity::insert(job_run::ActiveModel {
        job: Set(job.to_owned()),
        run_key: Set(run_key.to_owned()),
        started_at: Set(now),
        finished_at: Set(None),
        outcome: Set(None),
    })
    .on_conflict(
        OnConflict::columns([job_run::Column::Job, job_run::Column::RunKey])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted > 0)
}

/// Records how a claimed occurrence ended.
pub async fn finish(
    db: &DatabaseConnection,
    job: &str,
    run_key: &str,
    outcome: &str,
) -> Result<(), DbErr> {
    job_run::Entity::update_many()
        .col_expr(
            job_run::Column::FinishedAt,
            Expr::value(crate::clock::now()),
        )
        .col_expr(job_run::Column::Outcome, Expr::value(outcome.to_owned()))
        .filter(job_run::Column::Job.eq(job))
        .filter(job_run::Column::RunKey.eq(run_key))
        .exec(db)
        .await?;
    Ok(())
}

/// Runs one occurrence if this instance wins its claim; the key is the scheduled minute in Lima.
pub async fn run_claimed(db: &DatabaseConnection, name: &str, work: &JobFn, now: DateTime<Utc>) {
    let key = now
        .with_timezone(&LIMA)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    match claim(db, name, &key, now).await {
        Ok(true) => {
            let outcome = match work(now).await {
                Ok(summary) => {
                    tracing::info!(job = name, %summary, "job finished");
                    summary
                }
                Err(error) => {
                    tracing::error!(job = name, error = format!("{error:#}"), "job failed");
                    format!("error: {error}")
                }
            };
            if let Err(error) = finish(db, name, &key, &outcome).await {
                tracing::warn!(job = name, %error, "could not record the end of a job run");
            }
        }
        Ok(false) => tracing::debug!(job = name, "occurrence already claimed by another instance"),
        Err(error) => tracing::error!(job = name, %error, "could not claim a job run"),
    }
}

/// Starts the scheduler with the jobs whose schedule is not empty; each run reads `clock`.
pub async fn start(
    db: DatabaseConnection,
    config: &JobsConfig,
    jobs: Vec<(&'static str, JobFn)>,
    clock: crate::Clock,
) -> anyhow::Result<JobScheduler> {
    let scheduler = JobScheduler::new().await?;
    for (name, schedule) in config.schedules() {
        if schedule.trim().is_empty() {
            tracing::info!(job = name, "job disabled (empty schedule)");
            continue;
        }
        let Some((_, work)) = jobs.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let (db, work) = (db.clone(), work.clone());
        let job = Job::new_async_tz(schedule, LIMA, move |_, _| {
            let (db, work) = (db.clone(), work.clone());
            Box::pin(
                clock
                    .scope(async move { run_claimed(&db, name, &work, crate::clock::now()).await }),
            )
        })?;
        scheduler.add(job).await?;
        tracing::info!(job = name, schedule, "job scheduled (America/Lima)");
    }
    scheduler.start().await?;
    Ok(scheduler)
}
