//! Connecting to SQLite or PostgreSQL and bringing the schema up to date, and the SQL that differs
//! between them ([`one_of`], [`dialect`]); the attendance store keeps its own statements apart in
//! `attendance/store/{postgres,sqlite}.rs`.

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait, Value,
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
        // On PostgreSQL the check below takes the place of sqlx's ping on every checkout; SQLite's
        // connections, in-process, need neither.
        .test_before_acquire(false)
        .map_sqlx_postgres_before_acquire(|connection, _| {
            Box::pin(outside_transaction(connection))
        });
    let db = Database::connect(options)
        .await
        .context("no se pudo conectar a la base de datos")?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;")
            .await?;
    }
    Ok(db)
}

/// Whether a pooled PostgreSQL connection is outside any transaction, checked as it is handed out;
/// one that is not is closed, which rolls its transaction back.
///
/// A request cancelled while its `BEGIN` is in flight (a client that hangs up, a timeout) leaves
/// the connection inside a transaction that nothing will end: sqlx 0.9 counts the transaction only
/// once `BEGIN` is answered. Without this check the next borrower's statements would run inside it
/// and never be committed. Outside a transaction a simple query is its own transaction, which starts
/// when the statement does (the extended protocol would start it at `Parse`, a moment earlier).
async fn outside_transaction(
    connection: &mut sea_orm::sqlx::PgConnection,
) -> Result<bool, sea_orm::sqlx::Error> {
    use sea_orm::sqlx::Row;
    let row = sea_orm::sqlx::raw_sql("SELECT now() = statement_timestamp()")
        .fetch_one(connection)
        .await?;
    let fresh: bool = row.try_get(0)?;
    if !fresh {
        tracing::warn!("conexión devuelta al pool dentro de una transacción: se cierra");
    }
    Ok(fresh)
}

/// Begins a transaction that writes. On SQLite it takes the write lock at `BEGIN` (`IMMEDIATE`),
/// waiting its turn behind other writers: a transaction begun as a reader that then writes fails
/// at once ("database is locked") when another connection wrote in between. PostgreSQL ignores
/// the mode.
pub async fn begin<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

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
