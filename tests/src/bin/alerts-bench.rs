//! The alerts benchmark: how long the deadline reminder takes to select and enqueue on a synthetic
//! country (100,000 IEs × 8 sections by default, one IE in ten with May filled in), and how fast
//! the outbox is delivered to a local SMTP server. It prints figures and asserts nothing about
//! speed. Run it with
//! `cargo run --release -p tests --bin alerts-bench -- --database-url postgres://…/postgres`.

use std::{process::Command, time::Instant};

use chrono::{Datelike, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use clap::Parser;
use sea_orm::{ConnectionTrait, Database, Statement};

#[derive(Parser)]
#[command(about = "Selección y envío de alertas de cierre sobre un país sintético")]
struct Args {
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
    )]
    database_url: String,
    #[arg(long, default_value_t = 100_000)]
    schools: u64,
    #[arg(long, default_value_t = 8)]
    sections_per_school: u64,
    #[arg(long, default_value_t = 5)]
    students_per_section: u64,
    /// One IE in this many has its registers filled in up to the day of the run.
    #[arg(long, default_value_t = 10)]
    filled_one_in: u64,
    /// Share of registers changed since the last run, for the second timing.
    #[arg(long, default_value_t = 10)]
    changed_percent: u64,
    /// Times the reminder is run over an empty outbox (minimum and median are printed).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Messages delivered to time the sender (the rest stay in the outbox).
    #[arg(long, default_value_t = 20_000)]
    deliver: usize,
    #[arg(long, default_value = "target/release/siagie")]
    server: std::path::PathBuf,
    /// Reuse the dataset of an earlier run, with its kept coverage.
    #[arg(long)]
    reuse: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args = Args::parse();
    siagie::telemetry::init(&Default::default());
    let (base, _) = args
        .database_url
        .rsplit_once('/')
        .expect("URL with a database");
    let url = format!("{base}/siagie_alerts_bench");
    if !args.reuse {
        let admin = Database::connect(&args.database_url).await?;
        admin
            .execute_unprepared("DROP DATABASE IF EXISTS siagie_alerts_bench WITH (FORCE)")
            .await?;
        admin
            .execute_unprepared("CREATE DATABASE siagie_alerts_bench")
            .await?;
        let started = Instant::now();
        let status = Command::new(&args.server)
            .args([
                "seed",
                "--schools",
                &args.schools.to_string(),
                "--sections-per-school",
                &args.sections_per_school.to_string(),
                "--students-per-section",
                &args.students_per_section.to_string(),
            ])
            .env("SIAGIE_DATABASE_URL", &url)
            .env("SIAGIE_LOG_FILTER", "warn")
            .env("SIAGIE_CLOCK_START", tests::bench::CLOCK_START)
            .status()?;
        assert!(status.success());
        println!(
            "Siembra de {} IE: {:.1} s",
            args.schools,
            started.elapsed().as_secs_f64()
        );
    }
    let db = Database::connect(&url).await?;
    // Messages of an earlier run: gone, and their space reclaimed.
    db.execute_unprepared("DELETE FROM mail_outbox").await?;
    db.execute_unprepared("VACUUM mail_outbox").await?;
    let year: i32 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT MAX(year) AS y FROM academic_year".to_owned(),
        ))
        .await?
        .expect("a year")
        .try_get("", "y")?;
    let at = FixedOffset::west_opt(5 * 3600)
        .unwrap()
        .with_ymd_and_hms(year, 5, 26, 7, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let config = jobs::JobsConfig::default();
    let sections: i64 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM section".to_owned(),
        ))
        .await?
        .expect("count")
        .try_get("", "n")?;

    if !args.reuse {
        // Marks of every school day of May up to the 25th, for one IE in `filled_one_in`.
        let started = Instant::now();
        let marks = fill_may(&db, year, args.filled_one_in).await?;
        println!(
            "Marcas de mayo cargadas: {marks} en {:.1} s",
            started.elapsed().as_secs_f64()
        );
        db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    if !args.reuse {
        let started = Instant::now();
        let computed = siagie::attendance::progress::refresh(&db, year, 5).await?;
        println!(
            "Cobertura de {computed} registros calculada desde cero (una vez; luego se mantiene): {:.2} s",
            started.elapsed().as_secs_f64()
        );
        // Statistics after the bulk write, as autovacuum takes them in a running system.
        db.execute_unprepared("ANALYZE register_progress").await?;
    }

    // The same run several times over an empty outbox: this machine's run-to-run spread is wide.
    let mut times = Vec::with_capacity(args.repeat);
    for round in 1..=args.repeat.max(1) {
        if round > 1 {
            db.execute_unprepared("DELETE FROM mail_outbox").await?;
            db.execute_unprepared("VACUUM mail_outbox").await?;
        }
        let started = Instant::now();
        let summary = siagie::alerts::run(
            &db,
            &config,
            siagie::links::Links::new("http://127.0.0.1"),
            "deadline_reminder",
            at,
        )
        .await?;
        let seconds = started.elapsed().as_secs_f64();
        times.push(seconds);
        println!(
            "Selección y encolado ({} IE, {sections} secciones, cobertura al día), vuelta {round}: {seconds:.2} s — {summary}",
            args.schools,
        );
    }
    times.sort_by(f64::total_cmp);
    println!(
        "Selección y encolado: mínimo {:.2} s, mediana {:.2} s en {} vueltas",
        times[0],
        times[times.len() / 2],
        times.len()
    );

    db.execute_unprepared("DELETE FROM mail_outbox").await?;
    db.execute_unprepared("VACUUM mail_outbox").await?;
    let changed = db
        .execute_unprepared(&format!(
            "UPDATE register_progress SET version = version + 1, stale = TRUE \
             WHERE section_id % 100 < {}",
            args.changed_percent
        ))
        .await?
        .rows_affected();
    let started = Instant::now();
    siagie::attendance::progress::refresh(&db, year, 5).await?;
    let recomputed = started.elapsed().as_secs_f64();
    let summary = siagie::alerts::run(
        &db,
        &config,
        siagie::links::Links::new("http://127.0.0.1"),
        "deadline_reminder",
        at,
    )
    .await?;
    println!(
        "Selección y encolado con {changed} registros cambiados desde la última vez: {:.2} s \
         (de ellos, recalcular su cobertura: {recomputed:.2} s) — {summary}",
        started.elapsed().as_secs_f64()
    );

    // Statistics after the bulk enqueue, as autovacuum takes them in a running system.
    db.execute_unprepared("ANALYZE mail_outbox").await?;
    let smtp = tests::smtp::SmtpServer::start().await;
    let mail = jobs::MailConfig {
        transport: jobs::mail::MailTransport::Smtp,
        smtp_host: "127.0.0.1".into(),
        smtp_port: smtp.port,
        smtp_tls: jobs::mail::SmtpTls::None,
        ..Default::default()
    };
    let mailer = jobs::Mailer::from_config(&mail)?;
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let report = jobs::outbox::deliver_due(&db, &mailer, &mail.from, 1, 500).await?;
        sent += report.sent;
        if report.sent + report.failed == 0 || sent >= args.deliver {
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "Envío a SMTP local: {sent} correos en {elapsed:.2} s = {:.0} correos/s (recibidos: {})",
        sent as f64 / elapsed,
        smtp.received().len()
    );
    Ok(())
}

/// A mark for every student of every school day of May up to the 25th, for one IE in
/// `one_in`: one packed row per section and day, as the server stores them. Answers the marks.
async fn fill_may(
    db: &sea_orm::DatabaseConnection,
    year: i32,
    one_in: u64,
) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    use std::collections::BTreeMap;

    use entity::section_day;
    use sea_orm::{EntityTrait, Set};

    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT e.section_id, e.id FROM enrollment e JOIN section s ON s.id = e.section_id \
                 WHERE s.school_id % {one_in} = 0"
            ),
        ))
        .await?;
    let mut sections: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for row in rows {
        let section: i64 = row.try_get_by_index(0)?;
        sections
            .entry(section)
            .or_default()
            .push(row.try_get_by_index(1)?);
    }
    let days: Vec<NaiveDate> = (1..=25)
        .filter_map(|d| NaiveDate::from_ymd_opt(year, 5, d))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let mut marks = 0u64;
    let mut rows = Vec::new();
    let mut next_mark = 0u128;
    for (section_id, enrollments) in &sections {
        for day in &days {
            let cells: Vec<section_day::Cell> = enrollments
                .iter()
                .map(|enrollment_id| {
                    next_mark += 1;
                    section_day::Cell {
                        enrollment_id: *enrollment_id,
                        status: 1,
                        recorded_at_us: 0,
                        mark_id: uuid::Uuid::from_u128(next_mark),
                    }
                })
                .collect();
            marks += cells.len() as u64;
            rows.push(section_day::ActiveModel {
                section_id: Set(*section_id),
                date: Set(*day),
                version: Set(1),
                filled: Set(cells.len() as i32),
                cells: Set(section_day::encode(&cells)),
            });
            if rows.len() == 1_000 {
                section_day::Entity::insert_many(std::mem::take(&mut rows))
                    .exec_without_returning(db)
                    .await?;
            }
        }
    }
    if !rows.is_empty() {
        section_day::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(marks)
}
