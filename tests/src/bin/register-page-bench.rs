//! The monthly register's page at its largest: a section of 35 students, a month of 31 days,
//! every cell filled (each an input with its value). Prints the time to render it through the
//! server (one client, N pages), its bytes on the wire (gzip) and unpacked, and its first paint
//! in Chromium over emulated 3G. The server runs on the demo data of today's academic year, on
//! SQLite (or a fresh PostgreSQL database with `--database-url`).
//!
//! `cargo build --release -p siagie-api -p tests --bin siagie --bin register-page-bench`
//! `./target/release/register-page-bench [--database-url postgres://postgres@127.0.0.1:5432/postgres]`

use std::{path::PathBuf, time::Instant};

use chrono::{Datelike, NaiveDate};
use clap::Parser;
use reqwest::Client;
use serde_json::{Value, json};
use tests::{
    bench::{ServerProcess, fresh_database, login, start_server_with, wait_ready},
    pages::{Session, failed, first_render, report},
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Parser)]
struct Args {
    /// A PostgreSQL URL whose user may create databases; SQLite without it.
    #[arg(long)]
    database_url: Option<String>,
    /// The release server.
    #[arg(long, default_value = "target/release/siagie")]
    server: PathBuf,
    /// Register pages to time.
    #[arg(long, default_value_t = 300)]
    samples: usize,
}

const STUDENTS: usize = 35;

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let folder = std::env::temp_dir().join(format!("siagie-register-bench-{}", std::process::id()));
    std::fs::create_dir_all(&folder)?;
    let url = match &args.database_url {
        Some(admin) => fresh_database(admin, "siagie_register_bench").await?,
        None => format!("sqlite://{}?mode=rwc", folder.join("bench.db").display()),
    };
    let port = 18_720;
    let _server = ServerProcess(start_server_with(
        &args.server,
        &url,
        port,
        &[("SIAGIE_DEMO_SEED_ON_EMPTY", "true")],
    )?);
    let address = format!("http://127.0.0.1:{port}");
    let client = Client::new();
    wait_ready(&client, &address).await;
    let path = largest_register(&client, &address).await?;
    println!("Registro de {STUDENTS} estudiantes × 31 días, lleno: {path}");

    let session = Session::sign_in(&address, "director.demo").await?;
    let html = session.page(&path).await?;
    let inputs = html.matches("maxlength=\"1\"").count();
    println!("Celdas editables en la página: {inputs}");
    let mut latencies = Vec::with_capacity(args.samples);
    let started = Instant::now();
    for _ in 0..args.samples {
        let sent = Instant::now();
        session.page(&path).await?;
        latencies.push(sent.elapsed());
    }
    report(
        "Página del registro mensual (servidor, un cliente)",
        latencies,
        started,
    );
    let (packed, plain) = session.weight(&path).await?;
    println!(
        "Peso de la página del registro: {:.1} KB con gzip / {:.1} KB sin comprimir",
        packed as f64 / 1024.0,
        plain as f64 / 1024.0
    );
    let section = path.split('/').nth(3).unwrap_or_default().to_owned();
    let ugel = Session::sign_in(&address, "ugel.demo").await?;
    println!("Peso de las otras páginas del mes (gzip / sin comprimir):");
    for (who, page) in [
        (&session, "/consola".to_owned()),
        (&session, "/consola/pendientes".to_owned()),
        (&session, format!("/consola/actas/{section}")),
        (&session, format!("/consola/asistencia/{section}")),
        (&session, "/consola/certificados".to_owned()),
        (&ugel, "/consola/cobertura".to_owned()),
        (&ugel, "/consola/modificaciones".to_owned()),
    ] {
        let (packed, plain) = who.weight(&page).await?;
        println!(
            "  {page}: {:.1} KB / {:.1} KB",
            packed as f64 / 1024.0,
            plain as f64 / 1024.0
        );
    }
    first_render(&address, "director.demo", &[("el registro del mes", &path)]).await;
    let _ = std::fs::remove_dir_all(&folder);
    Ok(())
}

/// Fills the teacher's first section up to 35 students and the last ended month of 31 days, and
/// answers the page of that register.
async fn largest_register(client: &Client, address: &str) -> Result<String> {
    let api = |path: &str| format!("{address}/api/v1{path}");
    let director = login(client, address, "director.demo").await?;
    let teacher = login(client, address, "docente.demo").await?;
    let me: Value = client
        .get(api("/me"))
        .bearer_auth(&teacher)
        .send()
        .await?
        .json()
        .await?;
    let section = me["sections"][0]
        .as_i64()
        .ok_or_else(|| failed("the teacher's section"))?;
    let years: Value = client
        .get(api("/academic-years"))
        .bearer_auth(&director)
        .send()
        .await?
        .json()
        .await?;
    let starts = years[0]["starts_on"]
        .as_str()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| failed("the academic year"))?;
    let today = tests::lima_today();
    let (year, month) = (1..=12)
        .filter_map(|back| {
            let first = today
                .with_day(1)?
                .checked_sub_months(chrono::Months::new(back))?;
            let days = siagie::attendance::calendar::month_days(first.year(), first.month()).len();
            (days == 31 && first >= starts.with_day(1)?).then_some((first.year(), first.month()))
        })
        .next()
        .ok_or_else(|| failed("no ended month of 31 days in this academic year"))?;
    let students: Value = client
        .get(api(&format!("/sections/{section}/students")))
        .bearer_auth(&director)
        .send()
        .await?
        .json()
        .await?;
    let enrolled = students.as_array().map_or(0, Vec::len);
    let paternal = ["Quispe", "Huamán", "Mamani", "Condori", "Ñahui"];
    let maternal = ["Rojas", "Flores", "Chávez", "Torres"];
    let given = ["Ana", "Luis", "Rosa", "José", "Nilda", "Iván", "Edith"];
    for n in enrolled..STUDENTS {
        let answer = client
            .post(api(&format!("/sections/{section}/students")))
            .bearer_auth(&director)
            .json(&json!({
                "document": format!("7{:07}", 5_000_000 + n),
                "paternal_surname": paternal[n % paternal.len()],
                "maternal_surname": maternal[n % maternal.len()],
                "given_names": format!("{} {}", given[n % given.len()], given[(n / given.len()) % given.len()]),
                "starts_on": starts,
            }))
            .send()
            .await?;
        if !answer.status().is_success() {
            return Err(failed(format!("enrolling: {}", answer.text().await?)));
        }
    }
    let answer = client
        .post(api(&format!(
            "/sections/{section}/registers/{year}/{month}/complete"
        )))
        .bearer_auth(&director)
        .json(&json!({"up_to_day": 31}))
        .send()
        .await?;
    if !answer.status().is_success() {
        return Err(failed(format!("completing: {}", answer.text().await?)));
    }
    Ok(format!("/consola/registros/{section}/{year}/{month}"))
}
