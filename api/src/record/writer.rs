//! The audit events that are a write of their own (a public read someone must be able to prove,
//! such as a certificate's verification), written by a few tasks that put every event waiting
//! into one statement: a group commit.

use std::sync::Arc;

use sea_orm::{DatabaseConnection, EntityTrait};
use tokio::sync::{Mutex, mpsc, oneshot};

use entity::audit_event;

use super::audit::{Event, row};
use crate::error::{ApiError, Result};

/// Most events written in one statement (eleven parameters each).
const GROUP_EVENTS: usize = 1_000;

/// The writers of audit events that no other write carries.
///
/// Events that arrive while the writers are busy are inserted together, in one statement and so
/// one transaction: under load the round trip and the commit are shared, and with no load an
/// event is written alone, at once. [`AuditWriter::append`] returns only once the statement that
/// holds its event has committed, so that nothing acknowledged is missing from the trail. Should
/// a group fail, each of its events is tried again alone.
#[derive(Clone)]
pub struct AuditWriter {
    jobs: mpsc::Sender<Job>,
}

struct Job {
    row: audit_event::ActiveModel,
    reply: oneshot::Sender<Result<()>>,
}

impl AuditWriter {
    /// Starts `writers` writer tasks on the current runtime.
    pub fn start(db: DatabaseConnection, writers: usize) -> Self {
        let (jobs, queue) = mpsc::channel(8 * 1024);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..writers.max(1) {
            crate::time::spawn(writer(db.clone(), queue.clone()));
        }
        Self { jobs }
    }

    /// Appends an event (stamped now, not when it is written) and returns once it is committed.
    pub async fn append(&self, event: Event) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                row: row(event),
                reply,
            })
            .await
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("the audit writers have stopped")))?;
        answer.await.map_err(|_| {
            ApiError::Internal(anyhow::anyhow!(
                "the audit event's writer ended without answering"
            ))
        })?
    }
}

/// Takes every event waiting (up to [`GROUP_EVENTS`]) and writes them as one group.
async fn writer(db: DatabaseConnection, queue: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let group = {
            let mut queue = queue.lock().await;
            let Some(first) = queue.recv().await else {
                return;
            };
            let mut group = vec![first];
            while group.len() < GROUP_EVENTS {
                match queue.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            group
        };
        // On its own task, so that a panic fails only this group's requests.
        let task = crate::time::spawn(write_group(db.clone(), group));
        if let Err(e) = task.await {
            tracing::error!(error = %e, "a group of audit events failed");
        }
    }
}

async fn write_group(db: DatabaseConnection, group: Vec<Job>) {
    let (rows, replies): (Vec<_>, Vec<_>) = group.into_iter().map(|j| (j.row, j.reply)).unzip();
    let alone = rows.len() == 1;
    let retry = (!alone).then(|| rows.clone());
    match audit_event::Entity::insert_many(rows)
        .exec_without_returning(&db)
        .await
    {
        Ok(_) => {
            for reply in replies {
                let _ = reply.send(Ok(()));
            }
        }
        Err(e) => match retry {
            None => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(ApiError::from(e)));
                }
            }
            Some(rows) => {
                tracing::warn!(error = %e, events = rows.len(), "a group of audit events failed: each is tried alone");
                for (row, reply) in rows.into_iter().zip(replies) {
                    let written = audit_event::Entity::insert(row)
                        .exec_without_returning(&db)
                        .await;
                    let _ = reply.send(written.map(|_| ()).map_err(ApiError::from));
                }
            }
        },
    }
}
