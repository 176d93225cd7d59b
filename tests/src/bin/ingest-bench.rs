//! The ingest benchmark: many tablets pushing a school day of attendance at a time against a real
//! server on PostgreSQL with a synthetic country, beside a plain `COPY` of the same marks.
//!
//! It prints figures; it asserts nothing about speed. Run it with
//! `cargo run --release -p tests --bin ingest-bench -- --database-url postgres://…/postgres`.

use std::{
    io::Write,
    path::PathBuf,
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

use clap::Parser;
use reqwest::{Client, header};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use tests::bench::{ServerProcess, percentile, start_server_with, wait_ready};
use tokio::sync::Mutex;
use uuid::Uuid;

#[derive(Parser)]
#[command(about = "Carga de asistencia desde tabletas simuladas contra el servidor en PostgreSQL")]
struct Args {
    /// A PostgreSQL URL whose user may create databases (the benchmark makes `siagie_bench`).
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
    )]
    database_url: String,
    /// Synthetic schools (six sections each).
    #[arg(long, default_value_t = 2000)]
    schools: u64,
    /// Students per section, so marks per batch (the goal speaks of 40-mark batches).
    #[arg(long, default_value_t = 40)]
    students_per_section: u64,
    /// School days each tablet uploads (one batch per day): enough for a timed part of several
    /// seconds at 64 tablets.
    #[arg(long, default_value_t = 100)]
    days: usize,
    /// Concurrent tablets, one run per value. Each tablet waits for its answer before sending
    /// again, so few tablets leave the machine partly idle; the last level shows the capacity.
    #[arg(long, value_delimiter = ',', default_value = "16,64,256")]
    devices: Vec<usize>,
    /// The server binary.
    #[arg(long, default_value = "target/release/siagie")]
    server: PathBuf,
    /// Reuse an existing `siagie_bench` database instead of seeding a new one.
    #[arg(long)]
    reuse: bool,
    /// Server processes on the one database; the tablets' requests go to each in turn (a plain
    /// round-robin, as a balancer in front of them would).
    #[arg(long, default_value_t = 1)]
    instances: u16,
}

struct Tablet {
    token: String,
    device: Uuid,
    section: String,
    students: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow_free::Result<()> {
    let args = Args::parse();
    let (base, _) = args
        .database_url
        .rsplit_once('/')
        .expect("URL with a database name");
    let bench_url = format!("{base}/siagie_bench");
    let admin = Database::connect(&args.database_url).await?;
    if !args.reuse {
        admin
            .execute_unprepared("DROP DATABASE IF EXISTS siagie_bench WITH (FORCE)")
            .await?;
        admin
            .execute_unprepared("CREATE DATABASE siagie_bench")
            .await?;
        println!(
            "Sembrando {} IE × 6 secciones × {} estudiantes…",
            args.schools, args.students_per_section
        );
        let started = Instant::now();
        let status = Command::new(&args.server)
            .args([
                "seed",
                "--schools",
                &args.schools.to_string(),
                "--students-per-section",
                &args.students_per_section.to_string(),
            ])
            .env("SIAGIE_DATABASE_URL", &bench_url)
            .env("SIAGIE_LOG_FILTER", "warn")
            .env("SIAGIE_CLOCK_START", tests::bench::CLOCK_START)
            .status()?;
        assert!(status.success(), "seed failed");
        println!("Siembra: {:.1} s", started.elapsed().as_secs_f64());
    }
    let db = Database::connect(&bench_url).await?;
    let port = 18_400;
    // The settings that weigh most on the figures, printed with them.
    let settings: Vec<String> = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT name || ' = ' || current_setting(name) AS line FROM pg_settings \
             WHERE name IN ('server_version', 'shared_buffers', 'max_wal_size', 'wal_compression', \
                            'synchronous_commit', 'full_page_writes') ORDER BY name",
        ))
        .await?
        .iter()
        .filter_map(|row| row.try_get::<String>("", "line").ok())
        .collect();
    println!("PostgreSQL: {}", settings.join(", "));

    // The run's clock: the tests' school day, or a minute past the last batch of a reused
    // dataset, so that this run's marks supersede the last run's.
    let last: Option<chrono::DateTime<chrono::Utc>> = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT max(received_at) AS last FROM sync_batch",
        ))
        .await?
        .and_then(|row| row.try_get("", "last").ok());
    let start = last
        .map(|at| at + chrono::Duration::minutes(1))
        .into_iter()
        .chain([tests::instant(tests::bench::CLOCK_START)])
        .max()
        .expect("an instant");
    let mut servers = Vec::new();
    let mut addresses = Vec::new();
    for n in 0..args.instances.max(1) {
        servers.push(ServerProcess(start_server_with(
            &args.server,
            &bench_url,
            port + n,
            &[("SIAGIE_CLOCK_START", &start.to_rfc3339())],
        )?));
        addresses.push(format!("http://127.0.0.1:{}", port + n));
    }
    let clock = siagie::time::Clock::starting_at(start);
    let client = Client::builder().pool_max_idle_per_host(256).build()?;
    for address in &addresses {
        wait_ready(&client, address).await;
    }
    let address = &addresses[0];
    let pids: Vec<u32> = servers.iter().map(|s| s.0.id()).collect();
    println!("{} servidor(es) sobre la misma base de datos.", pids.len());

    let total: usize = args.devices.iter().sum();
    let tablets = prepare_tablets(&db, &client, address, total).await?;
    let days = academic_days(&client, address, &tablets[0], args.days, clock).await?;
    println!(
        "{} tabletas listas; {} días por tableta; {} marcas por lote.",
        tablets.len(),
        days.len(),
        tablets[0].students.len()
    );

    let mut offset = 0;
    let mut rates = Vec::new();
    for level in &args.devices {
        let group = &tablets[offset..offset + level];
        offset += level;
        let bodies = build_bodies(group, &days, clock.now());
        let Run {
            marks,
            wall,
            mut latencies,
            mut cold,
            cpu,
        } = run_level(&client, &addresses, group, bodies, &pids).await?;
        latencies.sort();
        cold.sort();
        let pct = |p: f64| percentile(&latencies, p);
        let rate = marks as f64 / wall.as_secs_f64();
        println!(
            "{level:>3} tabletas: {marks} marcas en {:.2} s = {:.0} marcas/s; {} lotes; latencia por lote p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
            wall.as_secs_f64(),
            rate,
            latencies.len(),
            pct(0.50).as_secs_f64() * 1000.0,
            pct(0.95).as_secs_f64() * 1000.0,
            pct(0.99).as_secs_f64() * 1000.0,
        );
        println!(
            "     antes del tiempo medido, el primer lote de cada tableta, todas a la vez: p50 {:.1} ms, máx. {:.1} ms",
            percentile(&cold, 0.5).as_secs_f64() * 1000.0,
            percentile(&cold, 1.0).as_secs_f64() * 1000.0,
        );
        let per_mark = |seconds: f64| seconds * 1e6 / marks.max(1) as f64;
        println!(
            "     CPU usada (segundos de núcleo): servidor {:.1}, PostgreSQL {:.1}, generador de carga {:.1} (de {:.1} disponibles en 2 núcleos); por marca: {:.1} µs, {:.1} µs, {:.1} µs",
            cpu.server,
            cpu.postgres,
            cpu.generator,
            wall.as_secs_f64() * 2.0,
            per_mark(cpu.server),
            per_mark(cpu.postgres),
            per_mark(cpu.generator),
        );
        rates.push((*level, marks, rate));
    }
    for pid in &pids {
        println!(
            "Memoria máxima del servidor {pid} (VmHWM): {:.1} MiB",
            peak_memory_kib(*pid) as f64 / 1024.0
        );
    }
    drop(servers);

    // For each level, a COPY of as many marks as its timed part, into a fresh table.
    for (level, marks, rate) in &rates {
        let copy_rate = copy_baseline(&db, *marks).await?;
        println!(
            "{level:>3} tabletas: COPY de {marks} marcas, una fila por marca: {copy_rate:.0} filas/s; la API sostiene el {:.0} % de esa tasa",
            rate / copy_rate * 100.0
        );
    }

    // Per mark stored: the history (entries and receipts) per mark received, the values that
    // stand per cell.
    for (label, tables, marks) in [
        (
            "historial (attendance_entry + mark_receipt)",
            "pg_total_relation_size('attendance_entry') + pg_total_relation_size('mark_receipt')",
            "SELECT COUNT(*) FROM mark_receipt",
        ),
        (
            "valor vigente (section_day)",
            "pg_total_relation_size('section_day')",
            "SELECT SUM(filled) FROM section_day",
        ),
    ] {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT ({tables})::bigint AS bytes, COALESCE(({marks}), 0)::bigint AS n"),
            ))
            .await?
            .expect("one row");
        let bytes: i64 = row.try_get("", "bytes")?;
        let n: i64 = row.try_get("", "n")?;
        let per = bytes as f64 / n.max(1) as f64;
        println!(
            "{label}: {n} marcas, {:.1} MiB, {per:.0} bytes/marca; un mes del país (8 M × 22 = 176 M marcas): {:.1} GiB",
            bytes as f64 / 1048576.0,
            per * 176e6 / 1073741824.0
        );
    }
    Ok(())
}

/// The tiny error alias of this binary.
mod anyhow_free {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
}

/// Logs in `count` synthetic teachers spread over the schools, each with its own tablet.
async fn prepare_tablets(
    db: &DatabaseConnection,
    client: &Client,
    address: &str,
    count: usize,
) -> anyhow_free::Result<Vec<Tablet>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT username FROM user_account WHERE username LIKE 'docente.%' ORDER BY id"
                .to_owned(),
        ))
        .await?;
    let names: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get::<String>("", "username").ok())
        .collect();
    let step = (names.len() / count.max(1)).max(1);
    let mut tablets = Vec::new();
    for username in names.iter().step_by(step).take(count) {
        let device = Uuid::new_v4();
        let login: Value = client
            .post(format!("{address}/api/v1/auth/login"))
            .json(&json!({"username": username, "password": "Demo.2026!", "device_id": device}))
            .send()
            .await?
            .json()
            .await?;
        let token = login["access_token"].as_str().expect("token").to_owned();
        let pull: Value = client
            .get(format!("{address}/api/v1/sync/pull"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        let section = pull["sections"][0]["id"]
            .as_str()
            .expect("section")
            .to_owned();
        let students = pull["students"]
            .as_array()
            .expect("students")
            .iter()
            .map(|s| s["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        tablets.push(Tablet {
            token,
            device,
            section,
            students,
        });
    }
    Ok(tablets)
}

/// The last `count` academic days before today.
async fn academic_days(
    client: &Client,
    address: &str,
    tablet: &Tablet,
    count: usize,
    clock: siagie::time::Clock,
) -> anyhow_free::Result<Vec<chrono::NaiveDate>> {
    let pull: Value = client
        .get(format!("{address}/api/v1/sync/pull"))
        .bearer_auth(&tablet.token)
        .send()
        .await?
        .json()
        .await?;
    let closed: std::collections::HashSet<String> = pull["calendar"]
        .as_array()
        .expect("calendar")
        .iter()
        .map(|d| d["date"].as_str().unwrap_or_default().to_owned())
        .collect();
    let today = clock.now().with_timezone(&siagie::time::LIMA).date_naive();
    let mut days: Vec<chrono::NaiveDate> = (1..200)
        .map(|n| today - chrono::Duration::days(n))
        .filter(|d| !closed.contains(&d.to_string()))
        .take(count)
        .collect();
    days.reverse();
    Ok(days)
}

/// Every tablet of the group uploads one batch per day, all at once; returns marks, wall time
/// and the latency of each batch.
/// Each tablet's batches, one per day, as JSON compressed with gzip. The tablets' own work is done
/// before the clock starts: on real tablets it does not share the server's cores. The marks are
/// recorded `now` on the run's clock, so that a run on a reused dataset supersedes the last's.
fn build_bodies(
    group: &[Tablet],
    days: &[chrono::NaiveDate],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Vec<Vec<u8>>> {
    let recorded_at = now
        .with_timezone(&chrono::FixedOffset::west_opt(5 * 3600).expect("Lima offset"))
        .to_rfc3339();
    group
        .iter()
        .map(|tablet| {
            days.iter()
                .enumerate()
                .map(|(n, day)| {
                    let marks: Vec<Value> = tablet
                        .students
                        .iter()
                        .enumerate()
                        .map(|(i, student)| {
                            let status = if (i + n) % 11 == 0 { "falta" } else if (i + n) % 17 == 0 { "tardanza" } else { "asistio" };
                            json!({"mark_id": Uuid::new_v4(), "section_id": tablet.section, "student_id": student, "date": day,
                                   "status": status, "recorded_at": recorded_at})
                        })
                        .collect();
                    let body = json!({"contract_version": 1, "device_id": tablet.device, "batch_id": Uuid::new_v4(), "marks": marks, "pending": days.len() - n - 1});
                    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    gz.write_all(&serde_json::to_vec(&body).expect("json")).expect("gzip");
                    gz.finish().expect("gzip")
                })
                .collect()
        })
        .collect()
}

/// The tablets of a level upload their batches: first each tablet's first batch, all at once and
/// off the clock (the run's cold start: every tablet begins in the same millisecond, which real
/// tablets do not), then the rest, timed. Returns the timed marks, wall time and latencies, and the
/// latencies of the first batches, and the CPU used by the timed part.
async fn run_level(
    client: &Client,
    addresses: &[String],
    group: &[Tablet],
    bodies: Vec<Vec<Vec<u8>>>,
    servers: &[u32],
) -> anyhow_free::Result<Run> {
    let (first, rest): (Vec<_>, Vec<_>) = bodies
        .into_iter()
        .map(|mut days| {
            let rest = days.split_off(1.min(days.len()));
            (days, rest)
        })
        .unzip();
    let (_, _, cold) = upload(client, addresses, group, first).await?;
    let cpu_before = cpu_split(servers);
    let (marks, wall, latencies) = upload(client, addresses, group, rest).await?;
    Ok(Run {
        marks,
        wall,
        latencies,
        cold,
        cpu: cpu_split(servers).since(cpu_before),
    })
}

/// A timed run of one level, and the first batches sent before it.
struct Run {
    marks: usize,
    wall: Duration,
    latencies: Vec<Duration>,
    cold: Vec<Duration>,
    /// CPU used during the timed part.
    cpu: CpuSplit,
}

/// Every tablet of the group uploads its batches in order, all tablets at once, each request to
/// the next server in turn; returns marks, wall time and the latency of each batch.
async fn upload(
    client: &Client,
    addresses: &[String],
    group: &[Tablet],
    bodies: Vec<Vec<Vec<u8>>>,
) -> anyhow_free::Result<(usize, Duration, Vec<Duration>)> {
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, (tablet, bodies)) in group.iter().zip(bodies).enumerate() {
        let client = client.clone();
        let urls: Vec<String> = addresses
            .iter()
            .map(|address| format!("{address}/api/v1/sync/push"))
            .collect();
        let token = tablet.token.clone();
        let expected = tablet.students.len();
        let latencies = latencies.clone();
        tasks.push(tokio::spawn(async move {
            let mut sent = 0usize;
            for (k, compressed) in bodies.into_iter().enumerate() {
                let begun = Instant::now();
                let response = client
                    .post(&urls[(i + k) % urls.len()])
                    .bearer_auth(&token)
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::CONTENT_ENCODING, "gzip")
                    .body(compressed)
                    .send()
                    .await
                    .expect("push");
                let status = response.status();
                let answer: Value = response.json().await.expect("answer");
                let elapsed = begun.elapsed();
                assert!(status.is_success(), "{status}: {answer}");
                let accepted = answer["results"].as_array().map_or(0, |r| {
                    r.iter().filter(|x| x["outcome"] == "accepted").count()
                });
                assert_eq!(accepted, expected, "every mark accepted: {answer}");
                sent += accepted;
                latencies.lock().await.push(elapsed);
            }
            sent
        }));
    }
    let mut marks = 0;
    for task in tasks {
        marks += task.await?;
    }
    let wall = started.elapsed();
    let latencies = std::mem::take(&mut *latencies.lock().await);
    Ok((marks, wall, latencies))
}

/// Core-seconds of CPU used so far by the server, every PostgreSQL process and this generator.
#[derive(Clone, Copy, Default)]
struct CpuSplit {
    server: f64,
    postgres: f64,
    generator: f64,
}

impl CpuSplit {
    fn since(self, before: CpuSplit) -> CpuSplit {
        CpuSplit {
            server: self.server - before.server,
            postgres: self.postgres - before.postgres,
            generator: self.generator - before.generator,
        }
    }
}

/// Reads user + system time of processes from `/proc` (Linux; zeros elsewhere): the servers'
/// together.
fn cpu_split(servers: &[u32]) -> CpuSplit {
    // `/proc/<pid>/stat`: fields after the command name; utime and stime are the 12th and 13th.
    let ticks = |stat: &str| -> Option<(String, f64)> {
        let (head, tail) = stat.rsplit_once(')')?;
        let name = head.split_once('(')?.1.to_owned();
        let fields: Vec<&str> = tail.split_whitespace().collect();
        let used = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        Some((name, used / 100.0))
    };
    let of = |pid: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| ticks(&s))
    };
    let postgres = std::fs::read_dir("/proc")
        .map(|dir| {
            dir.flatten()
                .filter_map(|entry| of(entry.file_name().to_str()?))
                .filter(|(name, _)| name == "postgres")
                .map(|(_, used)| used)
                .sum()
        })
        .unwrap_or(0.0);
    CpuSplit {
        server: servers
            .iter()
            .map(|pid| of(&pid.to_string()).map_or(0.0, |t| t.1))
            .sum(),
        postgres,
        generator: of("self").map_or(0.0, |t| t.1),
    }
}

/// Peak resident memory of a process, from `/proc` (KiB).
fn peak_memory_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// COPY of `count` marks into a table of one row per mark: every field of a mark, who sent it,
/// from which device and when, keyed by a serial id with its mark id unique.
async fn copy_baseline(db: &DatabaseConnection, count: usize) -> anyhow_free::Result<f64> {
    db.execute_unprepared(
        "DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (id bigserial PRIMARY KEY, \
         mark_id uuid NOT NULL UNIQUE, enrollment_id bigint NOT NULL, section_id bigint NOT NULL, \
         date date NOT NULL, status smallint NOT NULL, recorded_at_us bigint NOT NULL, \
         note varchar(200), user_id bigint NOT NULL, device_id uuid, batch_id uuid, \
         received_at timestamptz NOT NULL, outcome varchar(12) NOT NULL, review varchar(12))",
    )
    .await?;
    let mut csv = Vec::with_capacity(count * 160);
    let received = chrono::Utc::now().to_rfc3339();
    for i in 0..count {
        writeln!(
            csv,
            "{},{},{},{},2026-04-06,1,{},,{},{},{},{},accepted,",
            i + 1,
            Uuid::new_v4(),
            (i % 1_000_000) + 1,
            (i % 10_000) + 1,
            1_775_480_531_000_000i64 + i as i64,
            (i % 10_000) + 1,
            Uuid::new_v4(),
            Uuid::new_v4(),
            received
        )?;
    }
    let pool = db.get_postgres_connection_pool();
    let mut connection = pool.acquire().await?;
    let started = Instant::now();
    let mut copy = connection
        .copy_in_raw("COPY bench_copy (id, mark_id, enrollment_id, section_id, date, status, recorded_at_us, note, user_id, device_id, batch_id, received_at, outcome, review) FROM STDIN (FORMAT csv)")
        .await?;
    for chunk in csv.chunks(1 << 20) {
        copy.send(chunk).await?;
    }
    let rows = copy.finish().await?;
    let rate = rows as f64 / started.elapsed().as_secs_f64();
    drop(connection);
    db.execute_unprepared("DROP TABLE bench_copy").await?;
    Ok(rate)
}
