//! The connection pool under requests that are abandoned half-way.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use tests::spawn_app;

/// A client that hangs up while its request is opening a transaction (`db::begin`, where every
/// transaction of the server begins) must not leave the pooled connection inside it: whatever
/// the next request writes on that connection is committed.
#[tokio::test]
async fn writes_after_a_cancelled_begin_are_committed() {
    let app = spawn_app().await;
    app.db
        .execute_unprepared("CREATE TABLE pool_probe (n INTEGER NOT NULL)")
        .await
        .unwrap();
    // One connection, so every attempt reuses the one a cancelled `BEGIN` may have left behind.
    let mut config = app.config.clone();
    config.database.max_connections = 1;
    let pool = siagie::db::connect(&config).await.unwrap();
    if pool.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // A connection outside any transaction is kept, not replaced at each checkout.
        let backend = async || tests::scalar(&pool, "SELECT CAST(pg_backend_pid() AS TEXT)").await;
        assert_eq!(backend().await, backend().await);
    }
    let attempts = 100;
    for attempt in 0..attempts {
        // Cancelled at every stage of opening the transaction, from before it starts to after.
        let _ = tokio::time::timeout(Duration::from_micros(attempt * 5), siagie::db::begin(&pool))
            .await;
        pool.execute_unprepared(&format!("INSERT INTO pool_probe (n) VALUES ({attempt})"))
            .await
            .unwrap();
    }
    let seen = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM pool_probe")
        .await
        .unwrap();
    assert_eq!(
        seen,
        attempts.to_string(),
        "every write is visible to another connection"
    );
}

/// A TCP proxy to PostgreSQL that can be cut, as a network outage would.
struct Proxy {
    port: u16,
    cut: tokio::sync::watch::Sender<bool>,
}

impl Proxy {
    async fn start(target: std::net::SocketAddr) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, watch) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let mut watch = watch.clone();
                if *watch.borrow() {
                    continue; // refused: dropped at once
                }
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = watch.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Proxy { port, cut }
    }
}

#[tokio::test]
async fn a_database_outage_is_answered_503_with_retry_after_within_seconds() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("the embedded SQLite database has no outage to test; runs on PostgreSQL");
        return;
    };
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let app = tests::spawn_app_with(|config| {
        let url = secrecy::ExposeSecret::expose_secret(config.database.url.as_ref().unwrap())
            .replace(":5432/", &format!(":{}/", proxy.port));
        assert!(url.contains(&proxy.port.to_string()), "{admin_url}");
        config.database.url = Some(secrecy::SecretString::from(url));
    })
    .await;
    let token = app.login_as("director.demo").await;
    let (status, _) = app.get("/me", &token).await;
    assert_eq!(status, reqwest::StatusCode::OK);

    proxy.cut.send(true).unwrap();
    let started = std::time::Instant::now();
    let response = app
        .request(reqwest::Method::GET, "/me", Some(&token))
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(response.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "service_unavailable", "{body}");
    assert!(elapsed.as_secs_f64() < 6.0, "answered in {elapsed:?}");
    let started = std::time::Instant::now();
    let ready = app
        .request(reqwest::Method::GET, "/health/ready", None)
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed().as_secs_f64() < 3.0, "readiness at once");

    proxy.cut.send(false).unwrap();
    let mut back = false;
    for _ in 0..50 {
        if app.get("/me", &token).await.0 == reqwest::StatusCode::OK {
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(back, "the server recovers when the database is back");
}
