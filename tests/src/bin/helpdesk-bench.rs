//! The help desk's benchmark, on PostgreSQL: a national queue of 1,000,000 tickets (200,000 of
//! them open) and a knowledge base of 100,000 articles, then against a real server an agent
//! paging its queue, people typing a problem while articles are suggested, the SLA job over the
//! open tickets, and 32 people filing tickets with an attachment at once.
//!
//! It prints figures; it asserts nothing about speed. Run it with
//! `cargo run --release -p tests --bin helpdesk-bench -- --database-url postgres://…/postgres`.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{Datelike, Duration as Span, TimeZone, Utc, Weekday};
use clap::Parser;
use reqwest::{
    Client,
    multipart::{Form, Part},
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::Value;
use tests::bench::{
    ServerProcess, database_url, fresh_database, login, ms, percentile, seed, start_server_with,
    wait_ready,
};

#[derive(Parser)]
#[command(about = "Mesa de ayuda: cola, sugerencias, trabajo de plazos y registro de tickets")]
struct Args {
    /// A PostgreSQL URL whose user may create databases (the benchmark makes
    /// `siagie_helpdesk_bench`).
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
    )]
    database_url: String,
    #[arg(long, default_value_t = 1_000_000)]
    tickets: i64,
    /// One ticket in this many is open.
    #[arg(long, default_value_t = 5)]
    open_one_in: i64,
    #[arg(long, default_value_t = 100_000)]
    articles: i64,
    /// Synthetic IEs whose directors file the tickets.
    #[arg(long, default_value_t = 2_000)]
    schools: u64,
    /// Queue pages and suggestions timed (each).
    #[arg(long, default_value_t = 2_000)]
    samples: usize,
    /// People filing at once, and tickets each files.
    #[arg(long, default_value_t = 32)]
    filers: usize,
    #[arg(long, default_value_t = 25)]
    filings: usize,
    /// The attachment's size, in KiB (a screenshot).
    #[arg(long, default_value_t = 200)]
    attachment_kib: usize,
    #[arg(long, default_value = "target/release/siagie")]
    server: PathBuf,
    /// Reuse the database of an earlier run instead of seeding a new one.
    #[arg(long)]
    reuse: bool,
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// What people write, for the tickets' text and for the typing that asks for suggestions.
const PROBLEMS: [&str; 12] = [
    "Olvidé mi contraseña y el sistema dice que mi usuario está bloqueado",
    "No puedo cerrar el registro de asistencia del mes de la sección",
    "El traslado de un estudiante a otra institución educativa no aparece",
    "La importación de la nómina de matrícula da error en el archivo",
    "No se puede generar el acta de evaluación porque faltan calificaciones",
    "El certificado de estudios muestra un nombre con tilde mal escrito",
    "La tableta no sincroniza la asistencia tomada sin conexión",
    "Necesito dar de alta a un docente nuevo en la institución educativa",
    "El director no recibe los correos de alerta del cierre del mes",
    "La sección no aparece en la lista para registrar las notas",
    "Un estudiante figura matriculado en dos instituciones a la vez",
    "No puedo modificar la asistencia de un mes ya cerrado",
];

/// Words an article is made of, beyond its problem: so the base is not twelve texts repeated.
const WORDS: [&str; 40] = [
    "nómina",
    "sección",
    "grado",
    "bimestre",
    "trimestre",
    "ugel",
    "dre",
    "director",
    "docente",
    "auxiliar",
    "apoderado",
    "estudiante",
    "matrícula",
    "retiro",
    "traslado",
    "convalidación",
    "subsanación",
    "recuperación",
    "promoción",
    "permanencia",
    "calendario",
    "feriado",
    "resolución",
    "constancia",
    "certificado",
    "verificación",
    "código",
    "modular",
    "anexo",
    "usuario",
    "perfil",
    "credencial",
    "sesión",
    "navegador",
    "reporte",
    "exportación",
    "inasistencia",
    "tardanza",
    "justificación",
    "licencia",
];

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let url = database_url(&args.database_url, "siagie_helpdesk_bench");
    if !args.reuse {
        fresh_database(&args.database_url, "siagie_helpdesk_bench").await?;
        let started = Instant::now();
        let schools = args.schools.to_string();
        seed(
            &args.server,
            &url,
            &[
                "--schools",
                &schools,
                "--sections-per-school",
                "1",
                "--students-per-section",
                "1",
            ],
        )?;
        println!(
            "Siembra de {} IE con sus directores: {:.1} s",
            args.schools,
            started.elapsed().as_secs_f64()
        );
        let db = Database::connect(&url).await?;
        let started = Instant::now();
        seed_helpdesk(&db, &args).await?;
        println!(
            "{} tickets ({} abiertos) con su registro de eventos y {} artículos: {:.1} s",
            args.tickets,
            args.tickets / args.open_one_in,
            args.articles,
            started.elapsed().as_secs_f64()
        );
    }
    let db = Database::connect(&url).await?;
    print_sizes(&db).await?;

    let port = 18_600;
    // The SLA job is timed here, not run by the server's scheduler in the middle of it.
    let server = ServerProcess(start_server_with(
        &args.server,
        &url,
        port,
        &[("SIAGIE_JOBS_HELPDESK_SLA", "0 0 3 1 1 *")],
    )?);
    let address = format!("http://127.0.0.1:{port}");
    let client = Arc::new(Client::builder().pool_max_idle_per_host(256).build()?);
    wait_ready(&client, &address).await;

    queue_pages(&client, &address, &db, args.samples).await?;
    suggestions(&client, &address, &db, args.samples).await?;
    // Without queueing (few at once), then as many as the goal asks.
    filing(&client, &address, &db, &args, 4).await?;
    filing(&client, &address, &db, &args, args.filers).await?;
    drop(server);
    sla_job(&db).await?;
    Ok(())
}

/// The help-desk accounts, the tickets with their log, and the articles, written by the database
/// itself (`generate_series`).
async fn seed_helpdesk(db: &DatabaseConnection, args: &Args) -> Result<()> {
    // The instant of the servers' clock (the tests' school day), as an SQL literal.
    let now = format!("'{}'::timestamptz", tests::now().to_rfc3339());
    // An agent of the Central de Atención and a supervisor, with a director's password.
    for (username, role, email) in [
        (
            "agente.bench",
            "helpdesk_agent",
            "agente.bench@siagie.local",
        ),
        ("admin.bench", "minedu_admin", "admin.bench@siagie.local"),
    ] {
        db.execute_unprepared(&format!(
            "WITH p AS (INSERT INTO person (dni, paternal_surname, maternal_surname, given_names, email, created_at) \
               VALUES ((SELECT LPAD((90000000 + COUNT(*))::text, 8, '0') FROM person), 'Central', 'Atención', 'Agente', '{email}', {now}) RETURNING id), \
             u AS (INSERT INTO user_account (person_id, username, password_hash, must_change_password, created_at, password_changed_at) \
               SELECT p.id, '{username}', (SELECT password_hash FROM user_account ORDER BY id LIMIT 1), FALSE, {now}, {now} FROM p RETURNING id) \
             INSERT INTO role_assignment (user_id, role, active, starts_at) SELECT u.id, '{role}', TRUE, {now} FROM u"
        ))
        .await?;
    }
    let problems = PROBLEMS
        .iter()
        .map(|p| format!("'{p}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let words = WORDS
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let open = args.open_one_in;
    // Requesters: the directors, one after another; the open tickets go back two months (so
    // some clocks cross a threshold at every run), the others two years.
    let batch = 100_000;
    let mut from = 1;
    while from <= args.tickets {
        let to = (from + batch - 1).min(args.tickets);
        db.execute_unprepared(&format!(
            "WITH d AS (SELECT ROW_NUMBER() OVER (ORDER BY ra.id) AS n, ra.user_id, s.id AS school_id, s.codigo_modular, s.ugel_id, u.dre_id \
               FROM role_assignment ra JOIN school s ON s.id = ra.school_id JOIN ugel u ON u.id = s.ugel_id WHERE ra.role = 'director'), \
             agent AS (SELECT ua.id FROM user_account ua WHERE ua.username = 'agente.bench'), \
             g AS (SELECT g, \
                     CASE WHEN g % {open} = 0 THEN (ARRAY['nuevo','en_atencion','esperando_usuario','escalado','reabierto'])[1 + (g / {open}) % 5] \
                          WHEN g % 50 = 1 THEN 'resuelto' WHEN g % 97 = 2 THEN 'anulado' ELSE 'cerrado' END AS state, \
                     CASE WHEN g % {open} = 0 THEN {now} - make_interval(mins => ((g * 7919) % 86400)::int) \
                          ELSE {now} - make_interval(mins => (60 * 24 * 3 + (g * 7919) % 1051200)::int) END AS created_at \
                   FROM generate_series({from}::bigint, {to}::bigint) AS g) \
             INSERT INTO helpdesk_ticket (number, requester_id, school_id, ugel_id, dre_id, codigo_modular, email, cell_phone, topic_id, comment, \
               state, level, reached_level, assignee_id, impact, urgency, priority, created_at, updated_at, level_since, first_response_at, resolved_at, closed_at, resolution) \
             SELECT 'ISOS-2025-' || LPAD(g.g::text, 7, '0'), d.user_id, d.school_id, d.ugel_id, d.dre_id, d.codigo_modular, 'ie' || d.codigo_modular || '@siagie.local', '987654321', \
               (SELECT id FROM helpdesk_topic ORDER BY id OFFSET (g.g % 8) LIMIT 1), \
               (ARRAY[{problems}])[1 + g.g % 12] || ' (sección ' || (g.g % 30) || ')', \
               g.state, CASE WHEN g.state = 'escalado' THEN 2 + g.g % 2 ELSE 1 END, CASE WHEN g.state = 'escalado' THEN 2 + g.g % 2 ELSE 1 END, \
               CASE WHEN g.state IN ('nuevo') THEN NULL ELSE (SELECT id FROM agent) END, 'media', CASE WHEN g.g % 3 = 0 THEN 'alta' ELSE 'media' END, \
               CASE WHEN g.g % 3 = 0 THEN 4 ELSE 3 END, g.created_at, g.created_at, g.created_at, \
               CASE WHEN g.state = 'nuevo' THEN NULL ELSE g.created_at + INTERVAL '1 hour' END, \
               CASE WHEN g.state IN ('resuelto','cerrado') THEN g.created_at + INTERVAL '2 days' END, \
               CASE WHEN g.state = 'cerrado' THEN g.created_at + INTERVAL '3 days' END, \
               CASE WHEN g.state IN ('resuelto','cerrado') THEN 'Se orientó al usuario paso a paso.' END \
             FROM g JOIN d ON d.n = 1 + g.g % (SELECT COUNT(*) FROM d)"
        ))
        .await?;
        from = to + 1;
    }
    // The log: filed, then taken, then the step to the state each ticket is in.
    for (kind, from_state, to_state, at, filter) in [
        ("'filed'", "NULL", "'nuevo'", "created_at", "TRUE"),
        (
            "'taken'",
            "'nuevo'",
            "'en_atencion'",
            "created_at + INTERVAL '1 hour'",
            "state <> 'nuevo'",
        ),
        (
            // The step that reached the state the ticket is in.
            "CASE state WHEN 'anulado' THEN 'annulled' WHEN 'cerrado' THEN 'closed' \
             WHEN 'escalado' THEN 'escalated' WHEN 'esperando_usuario' THEN 'waiting' \
             WHEN 'reabierto' THEN 'reopened' WHEN 'resuelto' THEN 'resolved' END",
            "'en_atencion'",
            "state",
            "created_at + INTERVAL '2 hours'",
            "state NOT IN ('nuevo', 'en_atencion')",
        ),
    ] {
        db.execute_unprepared(&format!(
            "INSERT INTO helpdesk_event (ticket_id, at, actor_id, kind, from_state, to_state, level) \
             SELECT id, {at}, assignee_id, {kind}, {from_state}, {to_state}, level FROM helpdesk_ticket WHERE {filter}"
        ))
        .await?;
    }
    db.execute_unprepared(&format!(
        "INSERT INTO helpdesk_counter (year, last) VALUES (2025, {}) ON CONFLICT (year) DO UPDATE SET last = EXCLUDED.last",
        args.tickets
    ))
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO helpdesk_article (title, problem, solution, topic_id, tags, state, author_id, helpful, not_helpful, deflections, created_at, updated_at, published_at) \
         SELECT (ARRAY[{problems}])[1 + g % 12] || ': ' || (ARRAY[{words}])[1 + (g * 7) % 40] || ' y ' || (ARRAY[{words}])[1 + (g * 13) % 40], \
           (ARRAY[{problems}])[1 + (g * 5) % 12] || '. Ocurre con ' || (ARRAY[{words}])[1 + (g * 17) % 40] || ' y ' || (ARRAY[{words}])[1 + (g * 19) % 40] || ' (caso ' || g || ').', \
           'Ingrese al módulo de ' || (ARRAY[{words}])[1 + (g * 23) % 40] || ', revise ' || (ARRAY[{words}])[1 + (g * 29) % 40] || ' y vuelva a intentarlo; si persiste, adjunte una captura.', \
           (SELECT id FROM helpdesk_topic ORDER BY id OFFSET (g % 8) LIMIT 1), (ARRAY[{words}])[1 + (g * 31) % 40], \
           CASE WHEN g % 10 = 0 THEN 'borrador' ELSE 'publicado' END, (SELECT id FROM user_account WHERE username = 'agente.bench'), 0, 0, 0, {now}, {now}, {now} \
         FROM generate_series(1::bigint, {}::bigint) AS g",
        args.articles
    ))
    .await?;
    db.execute_unprepared("VACUUM ANALYZE").await?;
    Ok(())
}

async fn print_sizes(db: &DatabaseConnection) -> Result<()> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT (SELECT COUNT(*) FROM helpdesk_ticket)::bigint AS tickets, \
             (SELECT COUNT(*) FROM helpdesk_ticket WHERE state IN ('nuevo','en_atencion','esperando_usuario','escalado','reabierto'))::bigint AS open, \
             (SELECT COUNT(*) FROM helpdesk_event)::bigint AS events, \
             (SELECT COUNT(*) FROM helpdesk_article)::bigint AS articles, \
             pg_total_relation_size('helpdesk_ticket')::bigint AS ticket_bytes, \
             pg_total_relation_size('helpdesk_article')::bigint AS article_bytes"
                .to_owned(),
        ))
        .await?
        .expect("one row");
    let get = |column: &str| row.try_get::<i64>("", column).unwrap_or_default();
    println!(
        "Datos: {} tickets ({} abiertos), {} eventos, {} artículos; tickets {:.0} MiB con índices, artículos {:.0} MiB",
        get("tickets"),
        get("open"),
        get("events"),
        get("articles"),
        get("ticket_bytes") as f64 / 1048576.0,
        get("article_bytes") as f64 / 1048576.0,
    );
    Ok(())
}

fn report(label: &str, mut latencies: Vec<Duration>, wall: Duration) {
    latencies.sort();
    println!(
        "{label}: {} solicitudes en {:.1} s; p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, máx. {:.1} ms",
        latencies.len(),
        wall.as_secs_f64(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    );
}

/// An agent paging its national queue: each filter (state, level, topic, UGEL, its own), first
/// page and the next ones by keyset, 50 tickets a page.
async fn queue_pages(
    client: &Client,
    address: &str,
    db: &DatabaseConnection,
    samples: usize,
) -> Result<()> {
    let token = login(client, address, "agente.bench").await?;
    let ugels: Vec<i64> = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM ugel ORDER BY id".to_owned(),
        ))
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
        .collect();
    let topics = [
        "acceso",
        "matricula",
        "asistencia",
        "evaluacion",
        "certificados",
        "traslados",
        "altas_bajas",
        "otros",
    ];
    let states = [
        "nuevo",
        "en_atencion",
        "esperando_usuario",
        "escalado",
        "reabierto",
    ];
    let mut latencies = Vec::with_capacity(samples);
    let mut tickets = 0;
    let started = Instant::now();
    let mut round = 0;
    while latencies.len() < samples {
        let filter = match round % 6 {
            0 => format!("state={}", states[round % states.len()]),
            1 => format!("state={}&level=1", states[round % states.len()]),
            2 => format!("topic={}", topics[round % topics.len()]),
            3 => format!("ugel_id={}", ugels[round % ugels.len().max(1)]),
            4 => "mine=true".to_owned(),
            _ => String::new(),
        };
        round += 1;
        let mut before: Option<i64> = None;
        // Five pages of each filter, as an agent scrolls.
        for _ in 0..5 {
            let cursor = before.map(|b| format!("&before={b}")).unwrap_or_default();
            let sent = Instant::now();
            let page: Value = client
                .get(format!(
                    "{address}/api/v1/helpdesk/tickets?view=queue&limit=50&{filter}{cursor}"
                ))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            latencies.push(sent.elapsed());
            let items = page["items"].as_array().map_or(0, Vec::len);
            assert!(page.get("items").is_some(), "{page}");
            tickets += items;
            before = page["next_before"].as_i64();
            if before.is_none() {
                break;
            }
        }
    }
    report(
        &format!(
            "Página de la cola de un agente (filtros y paginación por clave; {tickets} tickets leídos)"
        ),
        latencies,
        started.elapsed(),
    );
    Ok(())
}

/// People typing a problem: after each word, the articles suggested for what is typed so far.
async fn suggestions(
    client: &Client,
    address: &str,
    db: &DatabaseConnection,
    samples: usize,
) -> Result<()> {
    let director = directors(db, 1).await?.pop().expect("a director");
    let token = login(client, address, &director).await?;
    let mut texts = Vec::new();
    for problem in PROBLEMS {
        let words: Vec<&str> = problem.split(' ').collect();
        for n in 2..=words.len() {
            texts.push(words[..n].join(" "));
        }
    }
    let mut latencies = Vec::with_capacity(samples);
    let mut found = 0;
    let started = Instant::now();
    for text in texts.iter().cycle().take(samples) {
        let sent = Instant::now();
        let url = reqwest::Url::parse_with_params(
            &format!("{address}/api/v1/helpdesk/articles"),
            &[("q", text.as_str()), ("limit", "5")],
        )?;
        let hits: Value = client
            .get(url)
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        latencies.push(sent.elapsed());
        found += hits.as_array().map_or(0, Vec::len);
    }
    report(
        &format!("Sugerencias de artículos mientras se escribe ({found} sugerencias)"),
        latencies,
        started.elapsed(),
    );
    Ok(())
}

/// The usernames of the first `count` directors of the synthetic IEs.
async fn directors(db: &DatabaseConnection, count: usize) -> Result<Vec<String>> {
    Ok(db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT username FROM user_account WHERE username LIKE 'director.%' ORDER BY id LIMIT {count}"
            ),
        ))
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect())
}

/// A synthetic screenshot: JPEG's first and last bytes around `kib` KiB of noise.
fn screenshot(kib: usize, seed: u64) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    while bytes.len() < kib * 1024 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// Directors filing tickets with one attachment, all at once.
async fn filing(
    client: &Arc<Client>,
    address: &str,
    db: &DatabaseConnection,
    args: &Args,
    filers: usize,
) -> Result<()> {
    let mut tokens = Vec::new();
    for username in &directors(db, filers).await? {
        tokens.push(login(client, address, username).await?);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (index, token) in tokens.into_iter().enumerate() {
        let client = client.clone();
        let address = address.to_owned();
        let (filings, kib) = (args.filings, args.attachment_kib);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(filings);
            for round in 0..filings {
                let form = Form::new()
                    .text("email", "ie.bench@siagie.local")
                    .text("cell_phone", "987654321")
                    .text("topic", "asistencia")
                    .text(
                        "comment",
                        PROBLEMS[(index + round) % PROBLEMS.len()].to_owned(),
                    )
                    .part(
                        "attachment",
                        Part::bytes(screenshot(kib, (index * 1000 + round) as u64))
                            .file_name("captura.jpg"),
                    );
                let sent = Instant::now();
                let response = client
                    .post(format!("{address}/api/v1/helpdesk/tickets"))
                    .bearer_auth(&token)
                    .multipart(form)
                    .send()
                    .await
                    .expect("answer");
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                latencies.push(sent.elapsed());
                assert_eq!(status.as_u16(), 201, "{body}");
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await?);
    }
    let wall = started.elapsed();
    let count = latencies.len();
    report(
        &format!(
            "Registrar un ticket con un adjunto de {} KiB ({} personas a la vez; {:.0} tickets/s)",
            args.attachment_kib,
            filers,
            count as f64 / wall.as_secs_f64()
        ),
        latencies,
        wall,
    );
    Ok(())
}

/// The SLA job over the open tickets, in working hours: the first run after the data was loaded
/// (every warning owed at once), then runs every 15 minutes, as scheduled.
async fn sla_job(db: &DatabaseConnection) -> Result<()> {
    let lima = chrono::FixedOffset::west_opt(5 * 3600).expect("offset");
    // Today at 10:00 in Lima, or the next weekday's (a holiday's run does nothing, so it shows
    // as such).
    let mut day = tests::now().with_timezone(&lima).date_naive();
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Span::days(1);
    }
    let first = lima
        .from_local_datetime(&day.and_hms_opt(10, 0, 0).expect("time"))
        .single()
        .expect("instant")
        .with_timezone(&Utc);
    db.execute_unprepared("DELETE FROM mail_outbox").await?;
    let config = siagie::helpdesk::HelpdeskConfig::default();
    for (label, at) in [
        (
            "primera vuelta (todos los avisos pendientes a la vez)",
            first,
        ),
        ("15 minutos después", first + Span::minutes(15)),
        ("30 minutos después", first + Span::minutes(30)),
        ("45 minutos después", first + Span::minutes(45)),
    ] {
        let started = Instant::now();
        let summary = siagie::helpdesk::sla_job::run(
            db,
            &config,
            siagie::helpdesk::links::Links::new("http://127.0.0.1"),
            at,
        )
        .await?;
        println!(
            "Trabajo de plazos (SLA), {label}: {:.2} s — {summary}",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
