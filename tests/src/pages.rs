//! What the benchmarks of pages share: a console session over plain HTTP (the console's cookie,
//! no redirects), the weight of a page on the wire, the first paint in Chromium over emulated
//! 3G, and the line that reports latencies.

use std::time::Instant;

use reqwest::{Client, header, redirect::Policy};

use crate::{
    bench::{ms, percentile},
    browser::Browser,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Why a step could not go on.
pub fn failed(what: impl Into<String>) -> Box<dyn std::error::Error + Send + Sync> {
    what.into().into()
}

/// A browser without JavaScript as the benchmark drives it: the console's cookie, no redirects.
pub struct Session {
    client: Client,
    address: String,
    cookie: String,
}

impl Session {
    /// Signs in through the console's own form.
    pub async fn sign_in(address: &str, username: &str) -> Result<Self> {
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
                .map(|(k, v)| format!("{k}={}", crate::visitor::encode(v)))
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

    pub async fn page(&self, path: &str) -> Result<String> {
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
    pub async fn weight(&self, path: &str) -> Result<(usize, usize)> {
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

pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    html[start..].split('"').next().map(str::to_owned)
}

/// The time to first render in Chromium over emulated 3G: the sign-in page with an empty cache
/// (the page and the stylesheet travel), then each of `pages` (label, path) in turn (the
/// stylesheet and the scripts, loaded by the pages before, are kept; scripts are deferred and
/// never hold the first render back).
pub async fn first_render(address: &str, username: &str, pages: &[(&str, &str)]) {
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
        for (visit, path) in pages {
            visits.push((visit, path));
            browser.open(&format!("{address}{path}")).await;
            figures.push(browser.execute(script).await);
        }
        for ((visit, _), f) in visits.iter().zip(figures) {
            // Chromium records no paint entry for a page it opened before the measure began.
            let paint = f[0]
                .as_f64()
                .filter(|ms| *ms >= 0.0)
                .map_or("sin registro".to_owned(), |ms| format!("{ms:.0} ms"));
            println!(
                "Primera pintura, {name}, {visit}: {paint} (carga completa {:.0} ms, {} bytes del documento)",
                f[1].as_f64().unwrap_or(-1.0),
                f[2]
            );
        }
        browser.quit().await;
    }
}

pub fn report(what: &str, mut latencies: Vec<std::time::Duration>, started: Instant) {
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
