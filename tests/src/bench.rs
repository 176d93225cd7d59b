//! What the benchmarks share: the server they load, started as a process of its own, and the
//! quantiles they print.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use reqwest::Client;

/// Where the clock of every server and seed a benchmark starts (the tests' school day), so that
/// a benchmark reads the same academic year whatever the day it runs, and the dates it builds on
/// the tests' clock are the server's.
pub const CLOCK_START: &str = crate::TEST_START;

/// The server under load, stopped when the benchmark ends, however it ends.
pub struct ServerProcess(pub Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `siagie serve` on a database and port, without demo data, with room for many logins
/// from one address.
pub fn start_server(binary: &Path, url: &str, port: u16) -> std::io::Result<Child> {
    start_server_with(binary, url, port, &[])
}

/// [`start_server`] with more settings (`SIAGIE_…` variables).
pub fn start_server_with(
    binary: &Path,
    url: &str,
    port: u16,
    settings: &[(&str, &str)],
) -> std::io::Result<Child> {
    Command::new(binary)
        .arg("serve")
        .env("SIAGIE_DATABASE_URL", url)
        .env("SIAGIE_SERVER_PORT", port.to_string())
        .env("SIAGIE_DEMO_SEED_ON_EMPTY", "false")
        .env("SIAGIE_DATABASE_MAX_CONNECTIONS", "32")
        .env("SIAGIE_AUTH_MAX_FAILED_LOGINS_PER_ADDRESS", "100000")
        .env("SIAGIE_LOG_FILTER", "warn")
        .env("SIAGIE_CLOCK_START", CLOCK_START)
        .env(
            "SIAGIE_STORAGE_DATA_DIR",
            std::env::temp_dir().join("siagie-bench"),
        )
        .envs(settings.iter().copied())
        .stdout(Stdio::null())
        .spawn()
}

/// Makes the database `name` anew on the server of `admin_url` (a PostgreSQL URL whose user may
/// create databases): its URL.
pub async fn fresh_database(admin_url: &str, name: &str) -> Result<String, sea_orm::DbErr> {
    use sea_orm::ConnectionTrait;
    let admin = sea_orm::Database::connect(admin_url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    Ok(database_url(admin_url, name))
}

/// The URL of the database `name` on the server of `admin_url`.
pub fn database_url(admin_url: &str, name: &str) -> String {
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    format!("{base}/{name}")
}

/// Runs `siagie seed` with these arguments on a database (the synthetic country).
pub fn seed(server: &Path, url: &str, arguments: &[&str]) -> std::io::Result<()> {
    let status = Command::new(server)
        .arg("seed")
        .args(arguments)
        .env("SIAGIE_DATABASE_URL", url)
        .env("SIAGIE_LOG_FILTER", "warn")
        .env("SIAGIE_CLOCK_START", CLOCK_START)
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("siagie seed: {status}")))
    }
}

/// Signs in an account of the synthetic dataset (password `Demo.2026!`): its bearer token.
pub async fn login(client: &Client, address: &str, username: &str) -> reqwest::Result<String> {
    let login: serde_json::Value = client
        .post(format!("{address}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": "Demo.2026!"}))
        .send()
        .await?
        .json()
        .await?;
    Ok(login["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// Milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Waits until the server answers ready (at most 20 s).
pub async fn wait_ready(client: &Client, address: &str) {
    for _ in 0..200 {
        if client
            .get(format!("{address}/health/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not start");
}

/// The `p` quantile of sorted durations (zero for none).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize)
        .saturating_sub(1)
        .min(sorted.len() - 1)]
}
