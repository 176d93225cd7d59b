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
pub mod dialect {
    use sea_orm::{ConnectionTrait, DbBackend, DbErr, Value};

    /// `expr` is one of `ids`, the ids travelling as one parameter `$n`: an array on PostgreSQL
    /// (`= ANY`), a JSON list on SQLite (`json_each`).
    pub fn in_ids(backend: DbBackend, expr: &str, n: usize, ids: Vec<i64>) -> (String, Value) {
        match backend {
            DbBackend::Postgres => (format!("{expr} = ANY(${n})"), ids.into()),
            _ => (
                format!("{expr} IN (SELECT value FROM json_each(${n}))"),
                serde_json::Value::from(ids).to_string().into(),
            ),
        }
    }

    /// The character of a code point, as an SQL expression.
    pub fn character(backend: DbBackend, code: u8) -> String {
        match backend {
            DbBackend::Postgres => format!("chr({code})"),
            _ => format!("char({code})"),
        }
    }

    /// `parts` as text, joined by the character `separator`.
    pub fn joined(backend: DbBackend, parts: &[&str], separator: u8) -> String {
        let sep = character(backend, separator);
        match backend {
            DbBackend::Postgres => format!("concat_ws({sep}, {})", parts.join(", ")),
            _ => parts.join(&format!(" || {sep} || ")),
        }
    }

    /// `expr` with the characters `codes` replaced by spaces.
    pub fn without(backend: DbBackend, expr: &str, codes: &[u8]) -> String {
        match backend {
            DbBackend::Postgres => {
                let from: Vec<String> = codes.iter().map(|c| character(backend, *c)).collect();
                let spaces = " ".repeat(codes.len());
                format!("translate({expr}, {}, '{spaces}')", from.join(" || "))
            }
            _ => codes.iter().fold(expr.to_owned(), |inner, code| {
                format!("replace({inner}, {}, ' ')", character(backend, *code))
            }),
        }
    }

    /// The texts of a group, joined by the character `separator`.
    pub fn aggregate(backend: DbBackend, expr: &str, separator: u8) -> String {
        let sep = character(backend, separator);
        match backend {
            DbBackend::Postgres => format!("string_agg({expr}, {sep})"),
            _ => format!("group_concat({expr}, {sep})"),
        }
    }

    /// Gives the rest of the transaction `megabytes` of memory for sorts and hashes (PostgreSQL;
    /// nothing to do on SQLite).
    pub async fn work_mem(txn: &impl ConnectionTrait, megabytes: u32) -> Result<(), DbErr> {
        if txn.get_database_backend() == DbBackend::Postgres {
            txn.execute_unprepared(&format!("SET LOCAL work_mem = '{megabytes}MB'"))
                .await?;
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_fragments_are_what_each_database_reads() {
            assert_eq!(
                joined(DbBackend::Postgres, &["a", "b"], 31),
                "concat_ws(chr(31), a, b)"
            );
            assert_eq!(
                joined(DbBackend::Sqlite, &["a", "b"], 31),
                "a || char(31) || b"
            );
            assert_eq!(
                without(DbBackend::Postgres, "s.name", &[30, 31]),
                "translate(s.name, chr(30) || chr(31), '  ')"
            );
            assert_eq!(
                without(DbBackend::Sqlite, "s.name", &[30, 31]),
                "replace(replace(s.name, char(30), ' '), char(31), ' ')"
            );
            assert_eq!(
                aggregate(DbBackend::Sqlite, "x", 30),
                "group_concat(x, char(30))"
            );
            let (sql, _) = in_ids(DbBackend::Sqlite, "ua.id", 1, vec![1, 2]);
            assert_eq!(sql, "ua.id IN (SELECT value FROM json_each($1))");
        }
    }
}
