//! What the benchmarks share: the server they load, started as a process of its own, and the
//! quantiles they print.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use reqwest::Client;

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
    Command::new(binary)
        .arg("serve")
        .env("SIAGIE_DATABASE_URL", url)
        .env("SIAGIE_SERVER_PORT", port.to_string())
        .env("SIAGIE_DEMO_SEED_ON_EMPTY", "false")
        .env("SIAGIE_DATABASE_MAX_CONNECTIONS", "32")
        .env("SIAGIE_AUTH_MAX_FAILED_LOGINS_PER_ADDRESS", "100000")
        .env("SIAGIE_LOG_FILTER", "warn")
        .env(
            "SIAGIE_STORAGE_DATA_DIR",
            std::env::temp_dir().join("siagie-bench"),
        )
        .stdout(Stdio::null())
        .spawn()
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
