//! Where every transaction of the server begins.

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

/// Begins a transaction that writes; every transaction of the product begins here (clippy's
/// `disallowed-methods` refuses the others). On SQLite it takes the write lock at `BEGIN`
/// (`IMMEDIATE`), waiting its turn behind other writers: a transaction begun as a reader that
/// then writes fails at once ("database is locked") when another connection wrote in between.
/// PostgreSQL ignores the mode.
///
/// The `BEGIN` runs on a task of its own, so that it always completes. A request cancelled while
/// its `BEGIN` is in flight (a client that hangs up, a timeout) would otherwise leave the pooled
/// connection inside a transaction that nothing ends: sqlx 0.9 counts the transaction only once
/// `BEGIN` is answered, so it rolls back nothing, and the next borrower's statements would run
/// inside that transaction and never be committed. Begun, a transaction whose request has gone
/// is dropped, and dropping it rolls it back before the connection serves anyone else.
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let db = db.clone();
    #[allow(clippy::disallowed_methods)]
    let begun = crate::clock::spawn(async move {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
    });
    begun
        .await
        .map_err(|e| DbErr::Custom(format!("BEGIN did not complete: {e}")))?
}
