//! Connecting to SQLite or PostgreSQL and bringing the schema up to date, and the SQL that differs
//! between them ([`one_of`], [`dialect`]); the attendance store keeps its own statements apart in
//! `attendance/store/{postgres,sqlite}.rs`.

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Value,
    sea_query::{Expr, ExprTrait, SimpleExpr, extension::postgres::PgFunc},
};

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
        // A database that cannot be reached is answered 503 within seconds, not after a long
        // wait: a tablet tells "try later" from a fault.
        .connect_timeout(Duration::from_secs(2))
        .acquire_timeout(Duration::from_secs(3))
        .sqlx_logging(false)
        // sqlx already pings each connection as it comes back to the pool (which also completes
        // whatever a cancelled statement left in flight); a second round trip as it goes out
        // would only double that. No connection goes back inside a transaction: see [`begin`].
        .test_before_acquire(false);
    let db = Database::connect(options)
        .await
        .context("no se pudo conectar a la base de datos")?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;")
            .await?;
    }
    Ok(db)
}

/// Begins a transaction that writes: see [`jobs::db::begin`], where every transaction of the
/// server begins.
pub use jobs::db::begin;

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("falló la migración del esquema")
}

/// `column IN (values)`. On PostgreSQL the values travel as one array (`= ANY($1)`), so the
/// statement has one text whatever their number and each connection plans it once; a list of a
/// thousand ids costs more to plan than to run. Other databases get the list.
pub fn one_of<C, V>(backend: DbBackend, column: C, values: Vec<V>) -> SimpleExpr
where
    C: ColumnTrait,
    V: Into<Value>,
    Vec<V>: Into<Value>,
{
    match backend {
        DbBackend::Postgres => {
            Expr::col((column.entity_name(), column)).eq(PgFunc::any(Expr::val(values)))
        }
        _ => column.is_in(values),
    }
}

/// Fragments of SQL that differ between PostgreSQL and SQLite, so that a query is written once.
pub mod dialect;
