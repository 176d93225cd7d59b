//! The web console under the help-desk benchmark's data: the queue page's latency through the
//! page (the same filters and keyset pages as the API's queue in `helpdesk-bench`), each page's
//! bytes on the wire, and the time to first render in Chromium over emulated 3G.
//!
//! Run `helpdesk-bench` first (it leaves `siagie_helpdesk_bench`), then:
//! `cargo build --release -p siagie-api -p tests --bin siagie --bin console-bench`
//! `./target/release/console-bench --database-url postgres://postgres@127.0.0.1:5432/postgres`

use std::{path::PathBuf, sync::Arc, time::Instant};

use clap::Parser;
use reqwest::Client;
use tests::{
    bench::{ServerProcess, database_url, start_server_with, wait_ready},
    pages::{Session, failed, first_render, report},
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Parser)]
struct Args {
    /// A PostgreSQL URL whose server holds `siagie_helpdesk_bench`.
    #[arg(long)]
    database_url: String,
    /// The release server.
    #[arg(long, default_value = "target/release/siagie")]
    server: PathBuf,
    /// Queue pages to time.
    #[arg(long, default_value_t = 2000)]
    samples: usize,
    /// The help desk's agent the benchmark signs in as.
    #[arg(long, default_value = "agente.bench")]
    username: String,
}

/// The "Página siguiente" link of a queue page.
fn next_link(html: &str) -> Option<String> {
    let end = html.find("\">Página siguiente</a>")?;
    let start = html[..end].rfind("href=\"")? + 6;
    Some(html[start..end].replace("&amp;", "&"))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let url = database_url(&args.database_url, "siagie_helpdesk_bench");
    let port = 18_700;
    let _server = ServerProcess(start_server_with(
        &args.server,
        &url,
        port,
        &[("SIAGIE_JOBS_HELPDESK_SLA", "0 0 3 1 1 *")],
    )?);
    let address = format!("http://127.0.0.1:{port}");
    wait_ready(&Client::new(), &address).await;
    let session = Arc::new(Session::sign_in(&address, &args.username).await?);

    queue_pages(&session, args.samples).await?;
    default_page(&session).await?;
    weights(&session).await?;
    let queue = "/consola/mesa-de-ayuda?sort=newest";
    first_render(
        &address,
        &args.username,
        &[("la bandeja", queue), ("la bandeja otra vez", queue)],
    )
    .await;
    Ok(())
}

/// The queue page with the API benchmark's filters, five pages of each by keyset.
async fn queue_pages(session: &Session, samples: usize) -> Result<()> {
    let topics = [
        "acceso",
        "matricula",
        "asistencia",
        "evaluacion",
        "certificados",
        "traslados",
    ];
    let states = [
        "nuevo",
        "en_atencion",
        "esperando_usuario",
        "escalado",
        "reabierto",
    ];
    let mut latencies = Vec::with_capacity(samples);
    let started = Instant::now();
    let mut round = 0;
    while latencies.len() < samples {
        let filter = match round % 6 {
            0 => format!("state={}", states[round % states.len()]),
            1 => format!("state={}&level=1", states[round % states.len()]),
            2 => format!("topic={}", topics[round % topics.len()]),
            3 => format!("level={}", 1 + round % 3),
            4 => "mine=1".to_owned(),
            _ => "unassigned=1".to_owned(),
        };
        round += 1;
        let mut path = format!("/consola/mesa-de-ayuda?sort=newest&{filter}");
        for _ in 0..5 {
            let sent = Instant::now();
            let html = session.page(&path).await?;
            latencies.push(sent.elapsed());
            match next_link(&html) {
                Some(next) => path = next,
                None => break,
            }
        }
    }
    report(
        "Página de la bandeja (filtros y paginación por clave)",
        latencies,
        started,
    );
    Ok(())
}

/// The queue as an agent first opens it (by deadline; a national queue too large for that is
/// shown oldest first, saying so).
async fn default_page(session: &Session) -> Result<()> {
    let mut latencies = Vec::new();
    let started = Instant::now();
    for _ in 0..50 {
        let sent = Instant::now();
        session.page("/consola/mesa-de-ayuda").await?;
        latencies.push(sent.elapsed());
    }
    report(
        "La bandeja tal como se abre (sin filtros)",
        latencies,
        started,
    );
    Ok(())
}

/// Bytes of each page on the wire (gzip) and unpacked.
async fn weights(session: &Session) -> Result<()> {
    let queue = session.page("/consola/mesa-de-ayuda?sort=newest").await?;
    let ticket = queue
        .split("href=\"/consola/mesa-de-ayuda/tickets/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .ok_or_else(|| failed("a ticket in the queue"))?
        .to_owned();
    let assets: Vec<String> = queue
        .split(['"', '\''])
        .filter(|s| s.starts_with("/estaticos/"))
        .map(str::to_owned)
        .collect();
    println!("Peso de cada página (comprimida con gzip / sin comprimir):");
    let mut paths = vec![
        "/consola/ingresar".to_owned(),
        "/consola".to_owned(),
        "/consola/mesa-de-ayuda".to_owned(),
        format!("/consola/mesa-de-ayuda/tickets/{ticket}"),
        "/consola/mesa-de-ayuda/reportes".to_owned(),
        "/consola/articulos?q=contrase%C3%B1a".to_owned(),
        "/consola/mis-tickets/nuevo".to_owned(),
    ];
    paths.extend(assets);
    for path in paths {
        let (packed, plain) = session.weight(&path).await?;
        println!(
            "  {path}: {:.1} KB / {:.1} KB",
            packed as f64 / 1024.0,
            plain as f64 / 1024.0
        );
    }
    Ok(())
}
