//! Which certificates no longer stand, kept in memory so that a verification reads no row: the
//! annulled and superseded certificates (few, and a certificate's status changes once: from
//! valid to annulled or superseded, never back), and the facts of a certificate that never change
//! (its id and its IE's unit, for the audit event).
//!
//! The server that annuls or corrects a certificate notes it here as soon as its transaction
//! commits, before it answers: from then on every verification on that server says so. Every
//! server also counts the certificates that no longer stand every few seconds (an index holds
//! only them) and reads them again when the count moved, so that a change made by another server
//! is seen within that period (`certificates.status_refresh_secs`). A verification that reads the
//! row (a certificate not seen before, or by code) takes the row's status, which is the freshest.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock, Weak},
    time::Duration,
};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Statement};

use entity::certificate::CertificateStatus;

use crate::{auth::policy::Target, error::Result};

/// A certificate that no longer stands, with what its verification and the status list tell.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Revoked {
    pub id: i64,
    pub virtual_code: String,
    /// `annulled` or `superseded`.
    pub status: CertificateStatus,
    pub status_changed_at: Option<DateTime<Utc>>,
    /// The category as stored (`status_category`).
    pub status_category: Option<String>,
    /// The issuer's words (told by a verification, never published in the status list).
    pub annul_reason: Option<String>,
    /// The virtual code of the certificate that replaced it.
    pub superseded_by: Option<String>,
}

/// What never changes about an issued certificate and a verification needs.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    pub id: i64,
    /// The unit of its IE, for the audit event.
    pub unit: Target,
}

/// Facts of certificates remembered before the oldest are forgotten (all at once).
const MAX_KNOWN: usize = 100_000;

/// The in-memory status of certificates (see the module's notes).
#[derive(Debug, Default)]
pub struct Standing {
    book: RwLock<Book>,
}

#[derive(Debug, Default)]
struct Book {
    /// By virtual code.
    revoked: HashMap<String, Arc<Revoked>>,
    /// How many certificates no longer stood at the last count.
    counted: i64,
    /// Changes whenever `revoked` does.
    generation: u64,
    known: HashMap<String, Known>,
}

const COUNT: &str = "SELECT COUNT(*) AS n FROM certificate WHERE status <> 'valid'";

const REVOKED: &str = "SELECT c.id, c.virtual_code, c.status, c.status_changed_at, \
     c.status_category, c.annul_reason, n.virtual_code AS superseded_by \
     FROM certificate c LEFT JOIN certificate n ON n.id = c.superseded_by \
     WHERE c.status <> 'valid' ORDER BY c.id";

impl Standing {
    /// The certificate with this code, when it no longer stands.
    pub fn revoked(&self, code: &str) -> Option<Arc<Revoked>> {
        self.read().revoked.get(code).cloned()
    }

    /// What is known of the certificate with this code.
    pub fn known(&self, code: &str) -> Option<Known> {
        self.read().known.get(code).copied()
    }

    /// Remembers what never changes about a certificate.
    pub fn remember(&self, code: &str, known: Known) {
        let mut book = self.write();
        if book.known.len() >= MAX_KNOWN {
            book.known.clear();
        }
        book.known.insert(code.to_owned(), known);
    }

    /// Notes a certificate that no longer stands: one this server annulled or replaced (called
    /// after the commit, before the answer), or a row read that says so.
    pub fn note(&self, revoked: Revoked) {
        let mut book = self.write();
        if book.revoked.get(&revoked.virtual_code).map(|r| r.as_ref()) != Some(&revoked) {
            book.revoked
                .insert(revoked.virtual_code.clone(), Arc::new(revoked));
            book.generation += 1;
        }
    }

    /// The certificates that no longer stand, by id, and the generation they belong to.
    pub fn all(&self) -> (u64, Vec<Arc<Revoked>>) {
        let book = self.read();
        let mut all: Vec<_> = book.revoked.values().cloned().collect();
        all.sort_by_key(|r| r.id);
        (book.generation, all)
    }

    /// Counts the certificates that no longer stand and, when the count moved, reads them all.
    /// What is read is added to what is held: a status never goes back to valid, so a read that
    /// raced with a change noted meanwhile loses nothing.
    pub async fn refresh(&self, db: &impl ConnectionTrait) -> Result<()> {
        let backend = db.get_database_backend();
        let count: i64 = match db
            .query_one_raw(Statement::from_string(backend, COUNT))
            .await?
        {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        if count == self.read().counted {
            return Ok(());
        }
        let rows = Revoked::find_by_statement(Statement::from_string(backend, REVOKED))
            .all(db)
            .await?;
        let mut book = self.write();
        for row in rows {
            if book.revoked.get(&row.virtual_code).map(|r| r.as_ref()) != Some(&row) {
                book.revoked.insert(row.virtual_code.clone(), Arc::new(row));
                book.generation += 1;
            }
        }
        book.counted = count;
        Ok(())
    }

    /// Refreshes every `period` until the standing is dropped (the server stopped).
    pub fn keep_fresh(self: &Arc<Self>, db: DatabaseConnection, period: Duration) {
        let standing: Weak<Self> = Arc::downgrade(self);
        crate::time::spawn(async move {
            let mut ticker = tokio::time::interval(period);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(standing) = standing.upgrade() else {
                    return;
                };
                if let Err(error) = standing.refresh(&db).await {
                    tracing::warn!(error = %error, "the certificates' status could not be refreshed");
                }
            }
        });
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Book> {
        self.book.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Book> {
        self.book.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annulled(id: i64, code: &str) -> Revoked {
        Revoked {
            id,
            virtual_code: code.into(),
            status: CertificateStatus::Annulled,
            status_changed_at: None,
            status_category: Some("duplicado".into()),
            annul_reason: Some("Duplicado".into()),
            superseded_by: None,
        }
    }

    #[test]
    fn a_noted_certificate_is_revoked_at_once_and_listed_by_id() {
        let standing = Standing::default();
        assert!(standing.revoked("B").is_none());
        standing.note(annulled(2, "B"));
        standing.note(annulled(1, "A"));
        let (generation, all) = standing.all();
        assert_eq!(generation, 2);
        assert_eq!(
            all.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![1, 2],
            "by id"
        );
        assert_eq!(standing.revoked("B").unwrap().id, 2);
        standing.note(annulled(2, "B"));
        assert_eq!(standing.all().0, 2, "noting the same again changes nothing");
    }
}
