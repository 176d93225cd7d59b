//! The connection pool under requests that are abandoned half-way.

use std::time::Duration;

use sea_orm::{ConnectionTrait, TransactionTrait};
use tests::spawn_app;

/// A client that hangs up while its request is opening a transaction must not leave the pooled
/// connection inside it: whatever the next request writes on that connection is committed.
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
        let _ = tokio::time::timeout(Duration::from_micros(attempt * 5), pool.begin()).await;
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
