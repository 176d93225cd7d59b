//! On PostgreSQL the triggers that keep `director_contact` take one lock before they read, so that
//! two transactions that change the same IE's director at once cannot each rebuild its contact
//! from a view that misses the other's change. Without it, a director who confirmed an address
//! while the UGEL approved their baja kept the IE's contact (and its month-end mail): the baja's
//! rebuild could not see the row the confirmation had just written, and the confirmation's
//! rebuild could not see the baja. Under the lock, whichever rebuilds second does so after the
//! first has committed, and in READ COMMITTED each of its statements then sees it. The lock is
//! taken only by what fires these triggers (directors' appointments, a person's names or address,
//! a confirmation), which are rare and short. SQLite has one writer at a time and needs none.
//! The copy is then rebuilt whole, mending any row such a race left behind.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::m20261207_130000_director_contact::{refresh, triggers};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The key of the transaction-scoped advisory lock the triggers share.
const LOCK: i64 = 20_261_208;

/// Each trigger function as `body` defines it, under `CREATE OR REPLACE`.
fn functions(body: impl Fn(&str) -> String) -> Vec<String> {
    triggers()
        .into_iter()
        .map(|(name, _, _, schools)| {
            format!(
                "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN {} RETURN NULL; END $$",
                body(&schools)
            )
        })
        .collect()
}

/// Rebuilds the whole copy from the active assignments.
fn rebuild() -> String {
    format!(
        "DELETE FROM director_contact; {}",
        refresh("SELECT school_id FROM role_assignment WHERE role = 'director' AND active")
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            for function in functions(|schools| {
                format!(
                    "PERFORM pg_advisory_xact_lock({LOCK}); {}",
                    refresh(schools)
                )
            }) {
                db.execute_unprepared(&function).await?;
            }
        }
        db.execute_unprepared(&rebuild()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            for function in functions(refresh) {
                manager
                    .get_connection()
                    .execute_unprepared(&function)
                    .await?;
            }
        }
        Ok(())
    }
}
