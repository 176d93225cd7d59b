//! The web console under the help-desk benchmark's data: the queue page's latency through the
//! page (the same filters and keyset pages as the API's queue in `helpdesk-bench`), each page's
//! bytes on the wire, and the time to first render in Chromium over emulated 3G.
//!
//! Run `helpdesk-bench` first (it leaves `siagie_helpdesk_bench`), then:
//! `cargo build --release -p siagie-api -p tests --bin siagie --bin console-bench`
//! `./target/release/console-bench --database-url postgres://postgres@127.0.0.1:5432/postgres`

use std::{path::PathBuf, sync::Arc, time::Instant};

use clap::Parser;
use reqwest::{Client, header, redirect::Policy};
use tests::{
    bench::{ServerProcess, database_url, ms, percentile, start_server_with, wait_ready},
    browser::Browser,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Why a step could not go on.
fn failed(what: impl Into<String>) -> Box<dyn std::error::Error + Send + Sync> {
    what.into().into()
}

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

/// A browser without JavaScript as the benchmark drives it: the console's cookie, no redirects.
struct Session {
    client: Client,
    address: String,
    cookie: String,
}

impl Session {
    /// Signs in through the console's own form.
    async fn sign_in(address: &str, username: &str) -> Result<Self> {
        let client = Client::builder()
            .redirect(Policy::none())
            .pool_max_idle_per_host(8)
            .build()?;
        let form = client
            .get(format!("{address}/consola/ingresar"))
            .send()
            .await?;
        let pre = cookie_of(&form, "siagie_ingreso").ok_or_else(|| failed("the sign-in cookie"))?;
        let html = form.text().await?;
        let csrf = hidden(&html, "csrf").ok_or_else(|| failed("the sign-in form token"))?;
        let password = siagie::seed::demo::DEMO_PASSWORD;
        let answer = client
            .post(format!("{address}/consola/ingresar"))
            .header(header::COOKIE, format!("siagie_ingreso={pre}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(
                [
                    ("csrf", csrf.as_str()),
                    ("username", username),
                    ("password", password),
                ]
                .iter()
                .map(|(k, v)| format!("{k}={}", tests::visitor::encode(v)))
                .collect::<Vec<_>>()
                .join("&"),
            )
            .send()
            .await?;
        let cookie = cookie_of(&answer, "siagie_consola")
            .ok_or_else(|| failed(format!("no session for {username}: {}", answer.status())))?;
        Ok(Self {
            client,
            address: address.to_owned(),
            cookie,
        })
    }

    async fn page(&self, path: &str) -> Result<String> {
        let answer = self
            .client
            .get(format!("{}{path}", self.address))
            .header(header::COOKIE, format!("siagie_consola={}", self.cookie))
            .send()
            .await?;
        if !answer.status().is_success() {
            return Err(failed(format!("{path}: {}", answer.status())));
        }
        Ok(answer.text().await?)
    }

    /// The bytes of a page on the wire (gzip, as browsers ask) and unpacked.
    async fn weight(&self, path: &str) -> Result<(usize, usize)> {
        // The sign-in page is read as someone not signed in reads it.
        let cookie = if path == "/consola/ingresar" {
            String::new()
        } else {
            format!("siagie_consola={}", self.cookie)
        };
        let get = |gzip: bool| {
            let client = Client::builder().no_gzip().redirect(Policy::none()).build();
            let cookie = cookie.clone();
            let url = format!("{}{path}", self.address);
            async move {
                let mut request = client?.get(url).header(header::COOKIE, cookie);
                if gzip {
                    request = request.header(header::ACCEPT_ENCODING, "gzip");
                }
                let answer = request.send().await?;
                if !answer.status().is_success() {
                    return Err(failed(format!("{path}: {}", answer.status())));
                }
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(answer.bytes().await?.len())
            }
        };
        Ok((get(true).await?, get(false).await?))
    }
}

fn cookie_of(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    html[start..].split('"').next().map(str::to_owned)
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
    first_render(&address, &args.username).await;
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

/// The time to first render in Chromium over emulated 3G: the sign-in page with an empty cache
/// (the page and the stylesheet travel), then the queue page twice (the stylesheet and the
/// scripts, loaded by the pages before it, are kept; scripts are deferred and never hold the
/// first render back).
async fn first_render(address: &str, username: &str) {
    let script = "const p = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint');\
        const n = performance.getEntriesByType('navigation')[0];\
        return [p ? p.startTime : -1, n ? n.loadEventEnd : -1, n ? n.transferSize : -1];";
    for (name, latency, down, up) in [
        ("3G (750 kbit/s, 100 ms)", 100, 750, 250),
        ("3G lento (400 kbit/s, 400 ms)", 400, 400, 400),
    ] {
        let Some(browser) = Browser::start_with_scripts().await else {
            println!("Sin Chromium: no se midió el tiempo de la primera pintura sobre 3G.");
            return;
        };
        browser.emulate_network(latency, down, up).await;
        let mut visits = vec![("el ingreso, sin nada guardado", "/consola/ingresar")];
        browser.open(&format!("{address}/consola/ingresar")).await;
        let cold = browser.execute(script).await;
        browser.type_into("#username", username).await;
        browser
            .type_into("#password", siagie::seed::demo::DEMO_PASSWORD)
            .await;
        browser.click("main button[type=submit]").await;
        browser.text_with("Bienvenido").await;
        let mut figures = vec![cold];
        for visit in ["la bandeja", "la bandeja otra vez"] {
            visits.push((visit, "/consola/mesa-de-ayuda?sort=newest"));
            browser
                .open(&format!("{address}/consola/mesa-de-ayuda?sort=newest"))
                .await;
            figures.push(browser.execute(script).await);
        }
        for ((visit, _), f) in visits.iter().zip(figures) {
            println!(
                "Primera pintura, {name}, {visit}: {:.0} ms (carga completa {:.0} ms, {} bytes del documento)",
                f[0].as_f64().unwrap_or(-1.0),
                f[1].as_f64().unwrap_or(-1.0),
                f[2]
            );
        }
        browser.quit().await;
    }
}

fn report(what: &str, mut latencies: Vec<std::time::Duration>, started: Instant) {
    latencies.sort_unstable();
    let total = started.elapsed().as_secs_f64();
    println!(
        "{what}: {} páginas, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms ({:.0} páginas/s)",
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.95)),
        ms(percentile(&latencies, 0.99)),
        latencies.len() as f64 / total
    );
}
