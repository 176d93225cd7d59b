//! The certificates benchmark: certificate PDFs per second on one core (signing, the QR and the
//! PDF, as issuing and downloading do), their size, issuing the certificates of a 40-student
//! section, and the verification endpoint's latency with 64 clients at once. It prints figures
//! and asserts nothing about speed. Run it with
//! `cargo run --release -p tests --bin certificate-bench` (SQLite), or with
//! `-- --database-url postgres://postgres@127.0.0.1:5432/postgres` (a new database on that
//! server, as `TEST_DATABASE_URL` gives the tests).

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clap::Parser;
use secrecy::SecretString;
use serde_json::json;
use siagie::{
    certificates::{
        payload::{
            AREAS, AreaGrade, AreaKind, CertificateContent, CertificateYear, Scale, Transcription,
        },
        pdf::{Sheet, render},
        qr,
        signing::KeyRing,
    },
    domain::Level,
};

#[derive(Parser)]
#[command(about = "Certificados: PDF por segundo, tamaño, emisión de una sección y verificación")]
struct Args {
    /// PDFs rendered on one core.
    #[arg(long, default_value_t = 400)]
    pdfs: usize,
    /// Clients verifying at once.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Seconds of verification load.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Certificates issued for the section.
    #[arg(long, default_value_t = 40)]
    section: usize,
    /// A PostgreSQL server to run on (a new database is made there); SQLite without it, unless
    /// `TEST_DATABASE_URL` names one.
    #[arg(long, env = "TEST_DATABASE_URL")]
    database_url: Option<String>,
    /// Servers on the one database for the verifications; each client sends to each in turn (a
    /// plain round-robin, as a balancer in front of them would).
    #[arg(long, default_value_t = 1)]
    instances: usize,
}

/// A five-year secondary certificate, 13 areas a year.
fn content(i: usize) -> CertificateContent {
    let years = (0..5)
        .map(|y| CertificateYear {
            year: 2015 + y,
            grade: format!("{}.º", y + 1),
            level: Level::Secundaria,
            codigo_modular: "0523456-0".into(),
            school_name: None,
            areas: AREAS
                .iter()
                .take(13)
                .enumerate()
                .map(|(a, name)| AreaGrade {
                    area: (*name).into(),
                    kind: AreaKind::General,
                    scale: Scale::Vigesimal,
                    value: format!("{:02}", 11 + (a + i + y as usize) % 10),
                })
                .collect(),
            situation: "promovido".into(),
            transcribed: (y < 2).then(|| Transcription {
                entered_by: "ROJAS DÍAZ, ANA".into(),
            }),
            regularized: None,
        })
        .collect();
    CertificateContent {
        virtual_code: format!("BENCH{i:07}"),
        school_code: "0523456-0".into(),
        school_name: "IE N° 16500 JOSÉ CARLOS MARIÁTEGUI".into(),
        student_name: "MARICIELO KIARA BALDEÓN MOSCOSO".into(),
        masked_document: "7*****08".into(),
        level: Level::Secundaria,
        issued_on: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default(),
        years,
        observations: Vec::new(),
        supersedes: None,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let ring = KeyRing::new(
        &SecretString::from(KeyRing::generate_seed()),
        NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default(),
        None,
    )
    .expect("a key");

    // 1. PDFs on one core: sign, QR text, render.
    let started = Instant::now();
    let mut bytes = 0usize;
    for i in 0..args.pdfs {
        let content = content(i);
        let text = qr::qr_text(
            "https://certificado.siagie.gob.pe",
            &qr::encode_payload(&ring.sign(&content)),
        );
        let pdf = render(&Sheet {
            content: &content,
            document: "70845108",
            place: "San Ignacio",
            qr_text: Some(&text),
            verify_url: "https://certificado.siagie.gob.pe/verificar",
            digital: false,
        });
        bytes += pdf.len();
    }
    let elapsed = started.elapsed();
    println!(
        "PDF: {:.0} certificates/s on one core ({} in {:.2} s), {:.1} KB per PDF",
        args.pdfs as f64 / elapsed.as_secs_f64(),
        args.pdfs,
        elapsed.as_secs_f64(),
        bytes as f64 / args.pdfs as f64 / 1024.0
    );

    // 2. A server: issue a section's certificates, then verify under load.
    let database = if args.database_url.as_deref().is_some_and(|u| !u.is_empty()) {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let app = tests::spawn_app_in(
        args.database_url.clone(),
        |c| {
            c.certificates.verifications_per_minute = u32::MAX;
        },
        async |_| {},
    )
    .await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, tests::demo::PRIMARIA).await;
    let section = app.sections(&director, school).await[0]["id"]
        .as_i64()
        .unwrap_or_default();
    let (_, roster) = app
        .get(&format!("/sections/{section}/students"), &director)
        .await;
    let students: Vec<String> = roster
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|s| s["dni"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let areas: Vec<_> = [
        "Matemática",
        "Comunicación",
        "Arte",
        "Personal Social",
        "Educación Física",
    ]
    .iter()
    .map(|a| json!({"area": a, "scale": "literal", "value": "A"}))
    .collect();
    let mut requests = Vec::new();
    for i in 0..args.section {
        let dni = &students[i % students.len().max(1)];
        let (_, request) = app
            .post(
                "/certificate-requests",
                &director,
                json!({"school_id": school, "document": dni, "years": [
                    {"year": 2011, "grade": "1.º", "codigo_modular": "0412345-0", "situation": "promovido", "areas": areas},
                    {"year": 2012, "grade": "2.º", "codigo_modular": "0412345-0", "situation": "promovido", "areas": areas},
                ]}),
            )
            .await;
        requests.push(request["id"].as_i64().unwrap_or_default());
    }
    let started = Instant::now();
    let mut payloads = Vec::new();
    for id in &requests {
        let (_, certificate) = app
            .post(
                &format!("/certificate-requests/{id}/issue"),
                &director,
                json!({}),
            )
            .await;
        if let Some(text) = certificate["qr_text"].as_str() {
            payloads.push(text.rsplit('/').next().unwrap_or_default().to_owned());
        }
    }
    println!(
        "Issuing {} certificates one request at a time ({database}, debug or release as built): {:.2} s",
        payloads.len(),
        started.elapsed().as_secs_f64()
    );

    let mut others = Vec::new();
    for _ in 1..args.instances.max(1) {
        others.push(tests::spawn_instance(&app, |_| {}).await);
    }
    let urls: Vec<String> = std::iter::once(&app)
        .chain(&others)
        .map(|server| server.url("/certificates/verify"))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        let client = reqwest::Client::new();
        let urls = urls.clone();
        let payloads = payloads.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = c;
            while Instant::now() < deadline {
                let payload = &payloads[i % payloads.len().max(1)];
                let started = Instant::now();
                let ok = client
                    .get(format!("{}?payload={payload}", urls[i % urls.len()]))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ok {
                    latencies.push(started.elapsed());
                }
                i += 1;
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap_or_default());
    }
    latencies.sort();
    println!(
        "Verification with {} clients for {} s on {} server(s): {} answered ({:.0}/s), p50 {:.1} ms, p99 {:.1} ms",
        args.clients,
        args.seconds,
        urls.len(),
        latencies.len(),
        latencies.len() as f64 / args.seconds as f64,
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0
    );
}
