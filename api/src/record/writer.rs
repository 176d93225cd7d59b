//! The audit events that are a write of their own (a public read someone must be able to prove,
//! such as a certificate's verification), written by a few tasks that put every event waiting
//! into one statement: a group commit.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue, DatabaseConnection, DbBackend, DbErr, EntityTrait, RuntimeErr};
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
    match insert_group(&db, rows).await {
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

/// The group's events in one statement. On PostgreSQL the statement has one text whatever the
/// group's size (each column travels as an array that `unnest` turns back into rows), so each
/// connection parses and plans it once; a multi-row `VALUES` was a new statement for each size of
/// group, with eleven parameters a row to bind. SQLite, in process, takes the multi-row insert.
async fn insert_group(
    db: &DatabaseConnection,
    rows: Vec<audit_event::ActiveModel>,
) -> std::result::Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return audit_event::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await
            .map(drop);
    }
    let mut at: Vec<DateTime<Utc>> = Vec::with_capacity(rows.len());
    let (mut action, mut entity_type) = (Vec::new(), Vec::new());
    let [mut actor, mut entity, mut dre, mut ugel, mut school]: [Vec<Option<i64>>; 5] =
        Default::default();
    let [mut before, mut after, mut request]: [Vec<Option<String>>; 3] = Default::default();
    for row in &rows {
        let (Some(stamped), Some(what), Some(kind)) =
            (set(&row.at), set(&row.action), set(&row.entity_type))
        else {
            return Err(DbErr::Custom(
                "an audit event without its time or action".into(),
            ));
        };
        at.push(stamped);
        action.push(what);
        entity_type.push(kind);
        actor.push(set(&row.actor_user_id).flatten());
        entity.push(set(&row.entity_id).flatten());
        dre.push(set(&row.dre_id).flatten());
        ugel.push(set(&row.ugel_id).flatten());
        school.push(set(&row.school_id).flatten());
        before.push(set(&row.before).flatten());
        after.push(set(&row.after).flatten());
        request.push(set(&row.request_id).flatten());
    }
    sea_orm::sqlx::query(INSERT_EVENTS)
        .bind(at)
        .bind(actor)
        .bind(action)
        .bind(entity_type)
        .bind(entity)
        .bind(dre)
        .bind(ugel)
        .bind(school)
        .bind(before)
        .bind(after)
        .bind(request)
        .execute(db.get_postgres_connection_pool())
        .await
        .map(drop)
        .map_err(|e| DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e))))
}

/// A column's value as set.
fn set<V: Clone + Into<sea_orm::Value>>(value: &ActiveValue<V>) -> Option<V> {
    value.try_as_ref().cloned()
}

const INSERT_EVENTS: &str = "INSERT INTO audit_event (at, actor_user_id, action, entity_type, \
     entity_id, dre_id, ugel_id, school_id, before, after, request_id) \
     SELECT * FROM unnest($1::timestamptz[], $2::int8[], $3::text[], $4::text[], $5::int8[], \
     $6::int8[], $7::int8[], $8::int8[], $9::text[], $10::text[], $11::text[])";
