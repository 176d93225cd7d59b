//! The writers of tablet batches: a pool of tasks that takes every batch waiting and applies the
//! group in one transaction (a group commit). The `POST /sync/push` handler (`push.rs`) checks
//! the token and the body and queues the batch here; the answer goes back once it is durable.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    sync::Arc,
};

use chrono::{DateTime, SubsecRound, Utc};
use mobile_contract::{PushRequest, PushResponse};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::OnConflict,
};
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use entity::{device, sync_batch};

use super::{
    answer as stored,
    binding::{bind_device, device_mismatch},
};
use crate::{
    attendance::{
        engine::{self, Batch, Incoming, Source},
        places::Places,
    },
    auth::{
        policy::Unit,
        principal::{
            LiveSession, Principal, TokenHolder, live_sessions, load_principals,
            password_change_required, session_revoked,
        },
    },
    db::one_of,
    error::{ApiError, ErrorCode, Result},
    time::{LIMA, now},
};

/// The answer to a batch already applied: its stored response, for the user who sent it.
/// A resend carries the same marks: a batch id sent again with other marks is refused, never
/// answered with results for marks it did not send.
fn answer(row: &sync_batch::Model, user_id: i64, batch: &PushRequest) -> Result<PushResponse> {
    if row.user_id != user_id {
        return Err(ApiError::because(
            ErrorCode::BatchIdReused,
            "Ese identificador de lote ya fue usado por otro usuario.",
        ));
    }
    let response =
        stored::decode(&row.response, row.batch_id, row.received_at).ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "the stored answer of batch {} cannot be read",
                row.batch_id
            ))
        })?;
    let same_marks = response.results.len() == batch.marks.len()
        && response
            .results
            .iter()
            .zip(&batch.marks)
            .all(|(result, mark)| result.mark_id == mark.mark_id);
    if !same_marks {
        return Err(ApiError::from(ErrorCode::BatchIdReused));
    }
    Ok(response)
}

fn device_revoked() -> ApiError {
    ApiError::because(
        ErrorCode::SessionRevoked,
        "Esta tableta fue dada de baja por la dirección de la IE. Conserve las marcas y use otra tableta.",
    )
}

/// Most marks written in one transaction by one writer.
const GROUP_MARKS: usize = 4_000;

/// The writers of tablet batches.
///
/// Batches that arrive while the writers are busy are applied together, in one transaction with
/// one statement of each kind for all of them (a group commit): under load the cost of each round
/// trip and commit is shared, and with no load a batch is written alone, at once. Each batch's
/// answer is sent only once its transaction has committed. Should a group fail, each of its
/// batches is tried again alone, so that one batch's fault never fails another's.
#[derive(Clone)]
pub struct Ingest {
    jobs: mpsc::Sender<Job>,
}

struct Job {
    caller: TokenHolder,
    batch: PushRequest,
    reply: oneshot::Sender<Result<PushResponse>>,
}

impl Ingest {
    /// Starts `writers` writer tasks on the current runtime.
    pub fn start(db: DatabaseConnection, places: Places, writers: usize) -> Self {
        let (jobs, queue) = mpsc::channel(4 * 1024);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..writers.max(1) {
            crate::time::spawn(writer(db.clone(), places.clone(), queue.clone()));
        }
        Self { jobs }
    }

    /// Applies a batch and answers once it is committed. A caller that goes away does not stop
    /// it: what was received is applied whole.
    pub(super) async fn push(
        &self,
        caller: TokenHolder,
        batch: PushRequest,
    ) -> Result<PushResponse> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                caller,
                batch,
                reply,
            })
            .await
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("the ingest writers have stopped")))?;
        answer.await.map_err(|_| {
            ApiError::Internal(anyhow::anyhow!(
                "the batch's writer ended without answering"
            ))
        })?
    }
}

/// Takes every batch waiting (up to [`GROUP_MARKS`] marks) and applies them as one group.
async fn writer(db: DatabaseConnection, places: Places, queue: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let group = {
            let mut queue = queue.lock().await;
            let Some(first) = queue.recv().await else {
                return;
            };
            let mut marks = first.batch.marks.len();
            let mut group = vec![first];
            while marks < GROUP_MARKS {
                match queue.try_recv() {
                    Ok(job) => {
                        marks += job.batch.marks.len();
                        group.push(job);
                    }
                    Err(_) => break,
                }
            }
            group
        };
        // On its own task, so that a panic fails only this group's requests.
        let task = crate::time::spawn(apply_group(db.clone(), places.clone(), group));
        if let Err(e) = task.await {
            tracing::error!(error = %e, "a group of tablet batches failed");
        }
    }
}

/// Applies a group of batches. Those already applied get their stored answer; the others are
/// written in one transaction, and should it fail, each is tried alone.
async fn apply_group(db: DatabaseConnection, places: Places, mut jobs: Vec<Job>) {
    // Rounds: the group; then batches sent twice within it, or that raced with another group,
    // which find their answer stored.
    for _ in 0..3 {
        if jobs.is_empty() {
            return;
        }
        let (fresh, later, devices) = match sort_out(&db, jobs).await {
            Ok(sorted) => sorted,
            Err((jobs, e)) => {
                tracing::error!(error = %e, "could not read the state of a group of batches");
                for job in jobs {
                    let _ = job.reply.send(Err(ApiError::Internal(anyhow::anyhow!(
                        "could not read the state of the batch"
                    ))));
                }
                return;
            }
        };
        jobs = later;
        if fresh.is_empty() {
            continue;
        }
        match write(&db, &places, &fresh, &devices).await {
            Ok(Some(responses)) => {
                for (fresh, response) in fresh.into_iter().zip(responses) {
                    let _ = fresh.job.reply.send(Ok(response));
                }
            }
            Ok(None) => jobs.extend(fresh.into_iter().map(|f| f.job)),
            Err(e) if fresh.len() == 1 => {
                if let Some(fresh) = fresh.into_iter().next() {
                    let _ = fresh.job.reply.send(Err(e));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, batches = fresh.len(), "a group of batches failed: each is tried alone");
                for job in fresh.into_iter().map(|f| f.job).chain(jobs) {
                    Box::pin(apply_group(db.clone(), places.clone(), vec![job])).await;
                }
                return;
            }
        }
    }
    for job in jobs {
        let _ = job.reply.send(Err(ApiError::Internal(anyhow::anyhow!(
            "the batch raced with another write more than once"
        ))));
    }
}

/// A batch to write, with its caller's account and assignments.
struct Fresh {
    job: Job,
    principal: Principal,
}

type Sorted = (Vec<Fresh>, Vec<Job>, HashMap<String, device::Model>);

/// Whether a batch's login is open, is its caller's and is bound to its tablet (a login opened
/// without a tablet id is bound here to the tablet of its first batch): logout, a detected reuse,
/// a password change or reset and revoking a tablet refuse every batch after them, whatever
/// server it reaches.
async fn login_of(db: &DatabaseConnection, session: Option<&LiveSession>, job: &Job) -> Result<()> {
    let session = match session {
        Some(session) if session.user_id == job.caller.user_id => session,
        _ => return Err(session_revoked()),
    };
    let device = job.batch.device_id.to_string();
    match session.device_id.as_deref() {
        Some(bound) if bound == device => Ok(()),
        Some(_) => Err(device_mismatch()),
        None => bind_device(db, &job.caller.family, &device).await,
    }
}

/// Loads the callers and their logins, answers the batches of logins no longer open (or bound to
/// another tablet), of callers no longer active, of revoked tablets and those already applied,
/// and splits the rest into the first batch of each id and the repeats, which wait for the first.
async fn sort_out(
    db: &DatabaseConnection,
    jobs: Vec<Job>,
) -> std::result::Result<Sorted, (Vec<Job>, ApiError)> {
    let device_ids: BTreeSet<String> = jobs.iter().map(|j| j.batch.device_id.to_string()).collect();
    let batch_ids: BTreeSet<Uuid> = jobs.iter().map(|j| j.batch.batch_id).collect();
    let user_ids: Vec<i64> = jobs
        .iter()
        .map(|j| j.caller.user_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let families: Vec<String> = jobs
        .iter()
        .map(|j| j.caller.family.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Four reads at once, each on a connection of its own: a group waits for one round trip,
    // not four.
    let backend = db.get_database_backend();
    let read = async {
        tokio::try_join!(
            live_sessions(db, families),
            load_principals(db, &user_ids),
            async {
                Ok(device::Entity::find()
                    .filter(one_of(
                        backend,
                        device::Column::Id,
                        device_ids.into_iter().collect(),
                    ))
                    .all(db)
                    .await?)
            },
            async {
                Ok(sync_batch::Entity::find()
                    .filter(one_of(
                        backend,
                        sync_batch::Column::BatchId,
                        batch_ids.into_iter().collect(),
                    ))
                    .all(db)
                    .await?)
            },
        )
    };
    let (sessions, principals, devices, stored) = match read.await {
        Ok(read) => read,
        Err(e) => return Err((jobs, e)),
    };
    let devices: HashMap<String, device::Model> =
        devices.into_iter().map(|d| (d.id.clone(), d)).collect();
    let stored: HashMap<Uuid, sync_batch::Model> =
        stored.into_iter().map(|b| (b.batch_id, b)).collect();
    let mut fresh = Vec::new();
    let mut later = Vec::new();
    let mut taken = HashSet::new();
    for job in jobs {
        if let Err(refused) = login_of(db, sessions.get(&job.caller.family), &job).await {
            let _ = job.reply.send(Err(refused));
            continue;
        }
        let Some(principal) = principals.get(&job.caller.user_id) else {
            let _ = job.reply.send(Err(session_revoked()));
            continue;
        };
        let device = devices.get(&job.batch.device_id.to_string());
        if principal.must_change_password {
            let _ = job.reply.send(Err(password_change_required()));
        } else if device.is_some_and(|d| d.revoked_at.is_some()) {
            let _ = job.reply.send(Err(device_revoked()));
        } else if device
            .and_then(|d| d.school_id)
            .is_some_and(|school| !principal.works_in(school))
        {
            let _ = job.reply.send(Err(ErrorCode::DeviceOtherSchool.into()));
        } else if let Some(row) = stored.get(&job.batch.batch_id) {
            let _ = job.reply.send(answer(row, job.caller.user_id, &job.batch));
        } else if taken.insert(job.batch.batch_id) {
            let mut principal = principal.clone();
            principal.family = job.caller.family.clone();
            fresh.push(Fresh { job, principal });
        } else {
            later.push(job);
        }
    }
    Ok((fresh, later, devices))
}

/// Writes new batches in one transaction; `None` when another writer stored one of them first
/// (nothing is written then).
async fn write(
    db: &DatabaseConnection,
    places: &Places,
    fresh: &[Fresh],
    devices: &HashMap<String, device::Model>,
) -> Result<Option<Vec<PushResponse>>> {
    // To the microsecond, as the database keeps it: a resend's answer reads the same time.
    let at = now().trunc_subsecs(6);
    let incoming: Vec<Vec<Incoming>> = fresh
        .iter()
        .map(|f| f.job.batch.marks.iter().map(Incoming::from).collect())
        .collect();
    let batches: Vec<Batch> = fresh
        .iter()
        .zip(&incoming)
        .map(|(f, marks)| Batch {
            principal: &f.principal,
            source: Source::Tablet {
                device_id: f.job.batch.device_id,
                batch_id: f.job.batch.batch_id,
            },
            marks,
        })
        .collect();
    // Read before the transaction begins: it holds one connection only while it writes.
    let lookups = engine::look_up(db, places, &batches).await?;
    let txn = crate::db::begin(db).await?;
    let results = engine::apply_many(&txn, &lookups, &batches, at).await?;
    let server_time = at.with_timezone(&LIMA).fixed_offset();
    let responses: Vec<PushResponse> = fresh
        .iter()
        .zip(results)
        .map(|(f, results)| PushResponse {
            batch_id: f.job.batch.batch_id,
            server_time,
            results,
        })
        .collect();
    let rows = fresh
        .iter()
        .zip(&responses)
        .map(|(f, response)| sync_batch::ActiveModel {
            batch_id: Set(f.job.batch.batch_id),
            user_id: Set(f.principal.user_id),
            device_id: Set(f.job.batch.device_id),
            received_at: Set(at),
            response: Set(stored::encode(&response.results)),
        });
    let inserted = sync_batch::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(sync_batch::Column::BatchId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    if inserted != fresh.len() as u64 {
        // Applied meanwhile by another writer: its answer stands, this attempt changes nothing.
        txn.rollback().await?;
        return Ok(None);
    }
    record_devices(&txn, fresh, devices, at).await?;
    txn.commit().await?;
    Ok(Some(responses))
}

/// Each push updates its tablet's record: last seen, last sync, marks still pending on it.
async fn record_devices(
    db: &impl ConnectionTrait,
    fresh: &[Fresh],
    known: &HashMap<String, device::Model>,
    at: DateTime<Utc>,
) -> Result<()> {
    // In id order, so that concurrent writers lock the rows in the same order.
    let mut rows: BTreeMap<String, device::Model> = BTreeMap::new();
    for f in fresh {
        let id = f.job.batch.device_id.to_string();
        let row = rows.entry(id.clone()).or_insert_with(|| {
            known.get(&id).cloned().unwrap_or(device::Model {
                id,
                school_id: None,
                last_user_id: None,
                first_seen_at: at,
                last_seen_at: at,
                last_sync_at: None,
                pending_marks: None,
                revoked_at: None,
            })
        });
        let school_id = f.principal.assignments.iter().find_map(|a| match a.unit {
            Unit::School { school_id, .. } => Some(school_id),
            _ => None,
        });
        row.last_seen_at = at;
        row.last_sync_at = Some(at);
        row.last_user_id = Some(f.principal.user_id);
        if let Some(pending) = f.job.batch.pending {
            row.pending_marks = Some(pending.min(i32::MAX as u32) as i32);
        }
        if row.school_id.is_none() {
            row.school_id = school_id;
        }
    }
    device::Entity::insert_many(rows.into_values().map(device::ActiveModel::from))
        .on_conflict(
            OnConflict::column(device::Column::Id)
                .update_columns([
                    device::Column::SchoolId,
                    device::Column::LastUserId,
                    device::Column::LastSeenAt,
                    device::Column::LastSyncAt,
                    device::Column::PendingMarks,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
