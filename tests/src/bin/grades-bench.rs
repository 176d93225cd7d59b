//! The grades benchmark: a synthetic country on PostgreSQL with five closed years of actas
//! (2,000 IEs × 6 sections × 35 students × 12 areas × 5 years by default), then teachers entering a
//! whole section's grades at once and directors reading their students' five-year records,
//! against a real server.
//!
//! It prints figures; it asserts nothing about speed. Run it with
//! `cargo run --release -p tests --bin grades-bench -- --database-url postgres://…/postgres`.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::Datelike;
use clap::Parser;
use reqwest::Client;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use tests::bench::{
    ServerProcess, database_url, fresh_database, login, ms, percentile, seed, start_server,
    wait_ready,
};

#[derive(Parser)]
#[command(about = "Calificaciones y actas: carga de notas y lectura del historial en PostgreSQL")]
struct Args {
    /// A PostgreSQL URL whose user may create databases (the benchmark makes `siagie_grades_bench`).
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
    )]
    database_url: String,
    /// Synthetic schools (six sections each).
    #[arg(long, default_value_t = 2000)]
    schools: u64,
    #[arg(long, default_value_t = 35)]
    students_per_section: u64,
    /// Closed years of history per student.
    #[arg(long, default_value_t = 5)]
    years: i32,
    /// Teachers entering grades at once.
    #[arg(long, default_value_t = 16)]
    teachers: usize,
    /// Requests per teacher (each one the whole section: students × areas).
    #[arg(long, default_value_t = 40)]
    rounds: usize,
    /// Directors reading records at once, and records each reads.
    #[arg(long, default_value_t = 16)]
    readers: usize,
    #[arg(long, default_value_t = 200)]
    reads: usize,
    /// Requests each teacher and each reader sends first, timed apart: a fresh server's
    /// connections prepare each statement on its first use, and PostgreSQL plans the first five
    /// runs of a statement with parameters for their values (a few milliseconds each for the
    /// record's joins) before it keeps one plan, as a server running for hours long has.
    #[arg(long, default_value_t = 6)]
    warmup: usize,
    /// The server binary.
    #[arg(long, default_value = "target/release/siagie")]
    server: PathBuf,
    /// Reuse the database of an earlier run instead of seeding a new one.
    #[arg(long)]
    reuse: bool,
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let bench_url = database_url(&args.database_url, "siagie_grades_bench");
    if !args.reuse {
        fresh_database(&args.database_url, "siagie_grades_bench").await?;
        println!(
            "Sembrando {} IE × 6 secciones × {} estudiantes…",
            args.schools, args.students_per_section
        );
        let started = Instant::now();
        let (schools, students) = (
            args.schools.to_string(),
            args.students_per_section.to_string(),
        );
        seed(
            &args.server,
            &bench_url,
            &["--schools", &schools, "--students-per-section", &students],
        )?;
        println!(
            "Siembra del año en curso: {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let db = Database::connect(&bench_url).await?;
        let started = Instant::now();
        let grades = seed_history(&db, args.years).await?;
        println!(
            "Historial: {grades} calificaciones de {} años cerrados en {:.1} s",
            args.years,
            started.elapsed().as_secs_f64()
        );
    }
    let db = Database::connect(&bench_url).await?;
    let port = 18_500;
    let server = ServerProcess(start_server(&args.server, &bench_url, port)?);
    let address = format!("http://127.0.0.1:{port}");
    let client = Client::builder().pool_max_idle_per_host(256).build()?;
    wait_ready(&client, &address).await;

    // Teachers, each with its section's acta: every student × every area.
    let teachers = usernames(&db, "docente.%", args.teachers).await?;
    let mut sheets = Vec::new();
    for username in &teachers {
        let token = login(&client, &address, username).await?;
        let me: Value = get(&client, &address, "/me", &token).await?;
        let section = me["sections"][0].as_i64().expect("a section");
        let acta: Value = get(
            &client,
            &address,
            &format!("/sections/{section}/acta"),
            &token,
        )
        .await?;
        sheets.push((token, section, acta));
    }
    let cells = sheets[0].2["students"].as_array().map_or(0, Vec::len)
        * sheets[0].2["areas"].as_array().map_or(0, Vec::len);
    println!(
        "{} docentes; cada solicitud: {cells} calificaciones (la sección entera)",
        sheets.len()
    );
    let client = Arc::new(client);
    let mut tasks = Vec::new();
    for (token, section, acta) in sheets {
        let client = client.clone();
        let address = address.clone();
        let (rounds, warmup) = (args.rounds, args.warmup);
        tasks.push(tokio::spawn(async move {
            let (mut cold, mut latencies) = (Vec::new(), Vec::new());
            let mut warm = Instant::now();
            for round in 0..warmup + rounds {
                if round == warmup {
                    warm = Instant::now();
                }
                // Every grade changes each round: the heaviest write.
                let body = grades_body(&acta, round);
                let sent = Instant::now();
                let response = client
                    .put(format!("{address}/api/v1/sections/{section}/acta/grades"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .expect("answer");
                assert!(response.status().is_success(), "{}", response.status());
                let _ = response.bytes().await;
                if round < warmup {
                    cold.push(sent.elapsed());
                } else {
                    latencies.push(sent.elapsed());
                }
            }
            (cold, latencies, warm)
        }));
    }
    let (cold, latencies, wall) = measured(tasks).await?;
    print_cold("docente", cold);
    println!(
        "Registrar las notas de una sección ({} docentes a la vez): {} solicitudes en {:.1} s = {:.0} calificaciones/s; p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        args.teachers,
        latencies.len(),
        wall.as_secs_f64(),
        (latencies.len() * cells) as f64 / wall.as_secs_f64(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 0.99)),
    );

    // Directors reading the five-year record of their students.
    let directors = usernames(&db, "director.%", args.readers).await?;
    let mut tasks = Vec::new();
    for username in directors {
        let token = login(&client, &address, &username).await?;
        let documents = documents_of(&db, &username, args.warmup + args.reads).await?;
        let client = client.clone();
        let address = address.clone();
        let warmup = args.warmup;
        tasks.push(tokio::spawn(async move {
            let (mut cold, mut latencies) = (Vec::new(), Vec::new());
            let mut warm = Instant::now();
            for (n, document) in documents.into_iter().enumerate() {
                if n == warmup {
                    warm = Instant::now();
                }
                let sent = Instant::now();
                let record: Value = client
                    .get(format!(
                        "{address}/api/v1/students/record?document={document}"
                    ))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("answer")
                    .json()
                    .await
                    .expect("json");
                if n < warmup {
                    cold.push(sent.elapsed());
                } else {
                    latencies.push(sent.elapsed());
                }
                assert!(
                    record["years"].as_array().is_some_and(|y| !y.is_empty()),
                    "{record}"
                );
            }
            (cold, latencies, warm)
        }));
    }
    let (cold, latencies, wall) = measured(tasks).await?;
    print_cold("lector", cold);
    println!(
        "Historial de un estudiante ({} lectores a la vez): {} lecturas en {:.1} s; p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        args.readers,
        latencies.len(),
        wall.as_secs_f64(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 0.99)),
    );
    drop(server);

    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT pg_total_relation_size('final_grade')::bigint AS bytes, \
             pg_relation_size('final_grade')::bigint AS heap, \
             (SELECT COUNT(*) FROM final_grade)::bigint AS n"
                .to_owned(),
        ))
        .await?
        .expect("one row");
    let bytes: i64 = row.try_get("", "bytes")?;
    let heap: i64 = row.try_get("", "heap")?;
    let n: i64 = row.try_get("", "n")?;
    println!(
        "En disco: {n} calificaciones, {:.0} MiB con índices = {:.1} bytes por calificación ({:.1} en la tabla, {:.1} en sus índices)",
        bytes as f64 / 1048576.0,
        bytes as f64 / n.max(1) as f64,
        heap as f64 / n.max(1) as f64,
        (bytes - heap) as f64 / n.max(1) as f64,
    );
    Ok(())
}

type Timed = (Vec<Duration>, Vec<Duration>, Instant);

/// The clients' warm-up latencies, their measured ones (sorted), and the measured part's wall
/// time: from the first client past its warm-up to the last one done.
async fn measured(
    tasks: Vec<tokio::task::JoinHandle<Timed>>,
) -> Result<(Vec<Duration>, Vec<Duration>, Duration)> {
    let (mut cold, mut latencies, mut warm) = (Vec::new(), Vec::new(), None::<Instant>);
    for task in tasks {
        let (first, rest, warmed) = task.await?;
        cold.extend(first);
        latencies.extend(rest);
        warm = Some(warm.map_or(warmed, |w| w.min(warmed)));
    }
    latencies.sort();
    Ok((
        cold,
        latencies,
        warm.map_or(Duration::ZERO, |w| w.elapsed()),
    ))
}

/// The first requests of each client, apart from the figures.
fn print_cold(who: &str, mut cold: Vec<Duration>) {
    if cold.is_empty() {
        return;
    }
    cold.sort();
    println!(
        "  primeras solicitudes de cada {who} (calentamiento, fuera de las cifras): {}; p50 {:.1} ms, p99 {:.1} ms, máx. {:.1} ms",
        cold.len(),
        ms(percentile(&cold, 0.50)),
        ms(percentile(&cold, 0.99)),
        ms(cold[cold.len() - 1]),
    );
}

/// The whole section: each student × each area, on the area's scale, different every round.
fn grades_body(acta: &Value, round: usize) -> Value {
    const LITERAL: [&str; 4] = ["C", "B", "A", "AD"];
    let mut grades = Vec::new();
    for (i, student) in acta["students"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        for (j, area) in acta["areas"].as_array().into_iter().flatten().enumerate() {
            let n = i + j + round;
            let value = if area["scale"] == "vigesimal" {
                (11 + n % 9).to_string()
            } else {
                LITERAL[n % 4].to_owned()
            };
            grades.push(json!({"enrollment_id": student["enrollment_id"], "area_id": area["id"], "value": value}));
        }
    }
    json!({ "grades": grades })
}

/// Five closed years for every student of the synthetic country, written by the database itself:
/// the sections of the current year repeated in each past year, their students enrolled, a grade
/// per area (four talleres join primary's eight areas: twelve), a final situation and a closed acta.
async fn seed_history(db: &DatabaseConnection, years: i32) -> Result<i64> {
    let current = tests::lima_today().year();
    let first = current - years;
    let last = current - 1;
    let statements = [
        "INSERT INTO curricular_area (level, code, name, kind, scale, from_year, to_year, position) VALUES \
         ('primaria', 'T1', 'Taller de lectura', 'taller', 'literal', 2000, NULL, 20), \
         ('primaria', 'T2', 'Taller de danza', 'taller', 'literal', 2000, NULL, 21), \
         ('primaria', 'T3', 'Taller de computación', 'taller', 'literal', 2000, NULL, 22), \
         ('primaria', 'T4', 'Taller de huerto escolar', 'taller', 'literal', 2000, NULL, 23)"
            .to_owned(),
        format!(
            "INSERT INTO academic_year (year, starts_on, ends_on) \
             SELECT y, make_date(y, 3, 1), make_date(y, 12, 20) FROM generate_series({first}, {last}) y \
             ON CONFLICT DO NOTHING"
        ),
        format!(
            "INSERT INTO section (school_id, academic_year_id, grade_id, name, created_at) \
             SELECT s.school_id, ay.id, s.grade_id, s.name, now() FROM section s \
             JOIN academic_year cy ON cy.id = s.academic_year_id AND cy.year = {current} \
             JOIN academic_year ay ON ay.year BETWEEN {first} AND {last}"
        ),
        format!(
            "INSERT INTO enrollment (student_id, section_id, academic_year_id, starts_on, status, status_date, updated_at) \
             SELECT e.student_id, ps.id, ps.academic_year_id, ay.starts_on, 'activo', NULL, now() \
             FROM enrollment e JOIN section cs ON cs.id = e.section_id \
             JOIN academic_year cy ON cy.id = cs.academic_year_id AND cy.year = {current} \
             JOIN section ps ON ps.school_id = cs.school_id AND ps.grade_id = cs.grade_id AND ps.name = cs.name \
             JOIN academic_year ay ON ay.id = ps.academic_year_id AND ay.year BETWEEN {first} AND {last}"
        ),
        format!(
            "INSERT INTO final_grade (enrollment_id, area_id, value) \
             SELECT e.id, a.id, 2 + (e.id + a.id) % 3 FROM enrollment e \
             JOIN section s ON s.id = e.section_id JOIN grade g ON g.id = s.grade_id \
             JOIN academic_year ay ON ay.id = e.academic_year_id AND ay.year BETWEEN {first} AND {last} \
             JOIN curricular_area a ON a.level = g.level AND a.from_year <= ay.year \
               AND (a.to_year IS NULL OR a.to_year >= ay.year) \
             ORDER BY e.id, a.id"
        ),
        format!(
            "INSERT INTO final_situation (enrollment_id, situation, suggested, reason, recorded_by, recorded_at) \
             SELECT e.id, 'promovido', 'promovido', NULL, 1, now() FROM enrollment e \
             JOIN academic_year ay ON ay.id = e.academic_year_id AND ay.year BETWEEN {first} AND {last}"
        ),
        format!(
            "INSERT INTO acta (section_id, closed_at, closed_by) \
             SELECT s.id, make_timestamptz(ay.year, 12, 20, 17, 0, 0), 1 FROM section s \
             JOIN academic_year ay ON ay.id = s.academic_year_id AND ay.year BETWEEN {first} AND {last}"
        ),
        "VACUUM ANALYZE".to_owned(),
    ];
    for statement in statements {
        db.execute_unprepared(&statement).await?;
    }
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*)::bigint AS n FROM final_grade".to_owned(),
        ))
        .await?
        .expect("one row");
    Ok(row.try_get("", "n")?)
}

async fn usernames(db: &DatabaseConnection, pattern: &str, count: usize) -> Result<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT username FROM user_account WHERE username LIKE '{pattern}' ORDER BY id"
            ),
        ))
        .await?;
    let names: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get::<String>("", "username").ok())
        .collect();
    let step = (names.len() / count.max(1)).max(1);
    Ok(names.into_iter().step_by(step).take(count).collect())
}

/// DNIs of students of a director's IE (its current enrollments), repeated up to `count`.
async fn documents_of(
    db: &DatabaseConnection,
    director: &str,
    count: usize,
) -> Result<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT st.dni FROM user_account u JOIN role_assignment r ON r.user_id = u.id \
                 JOIN section s ON s.school_id = r.school_id JOIN enrollment e ON e.section_id = s.id \
                 JOIN student st ON st.id = e.student_id \
                 WHERE u.username = '{director}' AND st.dni IS NOT NULL GROUP BY st.dni ORDER BY st.dni"
            ),
        ))
        .await?;
    let documents: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get::<String>("", "dni").ok())
        .collect();
    Ok(documents.iter().cycle().take(count).cloned().collect())
}

async fn get(client: &Client, address: &str, path: &str, token: &str) -> Result<Value> {
    Ok(client
        .get(format!("{address}/api/v1{path}"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?)
}
