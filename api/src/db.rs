//! Connecting to SQLite or PostgreSQL and bringing the schema up to date.

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

use crate::config::Config;

/// Opens the pool; for SQLite, creates the folder of the file and turns on WAL and foreign keys.
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.storage.data_dir)
            .with_context(|| format!("no se pudo crear {}", config.storage.data_dir.display()))?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(config.database.max_connections)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(15))
        .sqlx_logging(false)
        // Plan each statement for its own arguments: a plan cached while a table was small
        // (a seq scan) would otherwise outlive its growth for the connection's life.
        .map_sqlx_postgres_opts(|pg| pg.options([("plan_cache_mode", "force_custom_plan")]));
    let db = Database::connect(options)
        .await
        .context("no se pudo conectar a la base de datos")?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;")
            .await?;
    }
    Ok(db)
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("falló la migración del esquema")
}
