//! Limits on the public endpoints (verification, public requests): hits per key (a client
//! address, a document) in a window of fixed length that begins with the key's first hit (and
//! the first after a window ended), counted in the database so that every server instance counts
//! the same hits.
//!
//! A hit is counted before it is answered. The hits that arrive while a count is being written
//! are written together, as the audit writer does: one statement adds each key's hits of the
//! group to its row and returns the totals, so that under load the round trip is shared. Under a
//! high limit a server reserves hits in blocks (a 64th of the limit, at most 256) and answers the
//! rest of a block without asking again: every hit answered is counted in the database, at worst
//! a key is refused a few reserved hits before its limit, never allowed one past it. The counts
//! are not evidence: on PostgreSQL their table is unlogged (its writes do not wait for the
//! disk), and a crash may forget the windows running, never an answer. A key this server
//! already knows to be past its limit in the current window is refused without asking the
//! database. Keys are stored hashed with the server's secret (a document number is not kept in
//! the clear), and rows of windows that ended long ago are deleted as the server goes.

use std::{
    collections::HashMap,
    sync::{Mutex, OnceLock},
    time::Duration,
};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict, Query},
};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use entity::hit_count::{self, Column};

use crate::error::{ApiError, ErrorCode, Result};

/// Most distinct keys written in one statement.
const GROUP_KEYS: usize = 500;

/// Keys remembered as past their limit before the memory is cleared.
const MAX_OVER: usize = 100_000;

/// Rows of windows that started this long ago are deleted (windows last at most an hour).
const KEEP_SECS: i64 = 2 * 3600;

/// Seconds between two deletions of old rows by one limiter.
const SWEEP_EVERY_SECS: i64 = 600;

/// Counts hits per key in windows of fixed length, shared by every server instance.
#[derive(Debug)]
pub struct Limiter {
    /// What is counted (part of every stored key).
    name: &'static str,
    limit: i64,
    window: i64,
    jobs: mpsc::Sender<Job>,
    queue: Mutex<Option<mpsc::Receiver<Job>>>,
    /// Set when the writer starts.
    salt: OnceLock<Vec<u8>>,
    /// Keys known past their limit, with the start of the window they are past it in.
    over: Mutex<HashMap<String, i64>>,
    /// Hits reserved in one statement.
    block: i64,
    /// Hits this server reserved and has not answered yet, by key.
    leased: Mutex<HashMap<String, Lease>>,
}

/// Hits reserved for a key in a window.
#[derive(Debug, Clone, Copy)]
struct Lease {
    window_start: i64,
    left: i64,
}

#[derive(Debug)]
struct Job {
    key: String,
    /// Hits reserved.
    hits: i64,
    reply: oneshot::Sender<Result<Counted>>,
}

/// Hits as counted.
#[derive(Debug, Clone, Copy)]
struct Counted {
    /// The place of the first in its window.
    first: i64,
    window_start: i64,
}

impl Limiter {
    /// A limiter of `limit` hits per key and `window`; it counts once [`Limiter::start`]ed.
    pub fn new(name: &'static str, limit: u32, window: Duration) -> Self {
        let (jobs, queue) = mpsc::channel(8 * 1024);
        Self {
            name,
            limit: i64::from(limit.max(1)),
            window: (window.as_secs() as i64).clamp(1, 3600),
            jobs,
            queue: Mutex::new(Some(queue)),
            salt: OnceLock::new(),
            over: Mutex::default(),
            block: (i64::from(limit) / 64).clamp(1, 256),
            leased: Mutex::default(),
        }
    }

    /// Starts the writer of the counts on the current runtime; keys are hashed with `salt`.
    pub fn start(&self, db: DatabaseConnection, salt: &[u8]) {
        let Some(queue) = lock(&self.queue).take() else {
            return;
        };
        crate::time::spawn(writer(db, queue, self.window));
        let _ = self.salt.set(salt.to_vec());
    }

    /// Counts a hit of `key`; once the key is past its limit in this window, `refused` with the
    /// seconds left in the window.
    pub async fn hit(&self, key: &str, refused: ErrorCode) -> Result<()> {
        let Some(salt) = self.salt.get() else {
            return Err(ApiError::Internal(anyhow::anyhow!(
                "the limiter {} was not started",
                self.name
            )));
        };
        let key = self.stored_key(salt, key);
        let now = crate::time::now().timestamp();
        let wait = |window_start: i64| {
            let now = crate::time::now().timestamp();
            let left = (window_start + self.window - now).clamp(1, self.window) as u64;
            ApiError::from(refused).with_retry_after(left)
        };
        if let Some(&start) = lock(&self.over).get(&key)
            && now < start + self.window
        {
            return Err(wait(start));
        }
        if let Some(lease) = lock(&self.leased).get_mut(&key)
            && now < lease.window_start + self.window
            && lease.left > 0
        {
            lease.left -= 1;
            return Ok(());
        }
        let (reply, answer) = oneshot::channel();
        let job = Job {
            key: key.clone(),
            hits: self.block,
            reply,
        };
        self.jobs.send(job).await.map_err(|_| stopped())?;
        let counted = answer.await.map_err(|_| stopped())??;
        // Of the hits reserved, those within the limit: this one, and the rest for later hits.
        let within = (self.limit - counted.first + 1).clamp(0, self.block);
        if within > 0 {
            if within > 1 {
                let mut leased = lock(&self.leased);
                bound(&mut leased, |l| now < l.window_start + self.window);
                leased.insert(
                    key,
                    Lease {
                        window_start: counted.window_start,
                        left: within - 1,
                    },
                );
            }
            return Ok(());
        }
        let mut over = lock(&self.over);
        bound(&mut over, |start| now < *start + self.window);
        over.insert(key, counted.window_start);
        Err(wait(counted.window_start))
    }

    /// The key as stored: what is counted and a hash of whose, keyed with the server's secret.
    fn stored_key(&self, salt: &[u8], key: &str) -> String {
        let digest = Sha256::new()
            .chain_update(salt)
            .chain_update(self.name.as_bytes())
            .chain_update([0])
            .chain_update(key.as_bytes())
            .finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}:{hex}", self.name)
    }
}

/// Keeps a memory of keys under [`MAX_OVER`]: the entries of windows that ended go first, and
/// should every window still run, all go (a key forgotten is only asked of the database again;
/// hits it reserved are not answered, which refuses sooner, never later).
fn bound<V>(map: &mut HashMap<String, V>, running: impl Fn(&V) -> bool) {
    if map.len() >= MAX_OVER {
        map.retain(|_, v| running(v));
        if map.len() >= MAX_OVER {
            map.clear();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn stopped() -> ApiError {
    ApiError::Internal(anyhow::anyhow!("the writer of hit counts stopped"))
}

/// Writes every hit waiting as one group, and now and then deletes the rows of old windows.
async fn writer(db: DatabaseConnection, mut queue: mpsc::Receiver<Job>, window: i64) {
    let mut swept_at: Option<i64> = None;
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while let Ok(job) = queue.try_recv() {
            group.push(job);
            if group.len() >= 8 * GROUP_KEYS {
                break;
            }
        }
        // On its own task, so that a panic fails only this group's hits.
        let task = crate::time::spawn(count_group(db.clone(), group, window));
        if let Err(e) = task.await {
            tracing::error!(error = %e, "a group of hit counts failed");
        }
        let now = crate::time::now().timestamp();
        if swept_at.is_none_or(|at| now - at >= SWEEP_EVERY_SECS) {
            swept_at = Some(now);
            let old = hit_count::Entity::delete_many()
                .filter(Column::WindowStart.lt(now - KEEP_SECS))
                .exec(&db)
                .await;
            if let Err(e) = old {
                tracing::warn!(error = %e, "old hit counts could not be deleted");
            }
        }
    }
}

/// Adds a group's hits to their keys' rows and tells each job the place of its first hit: the
/// jobs of one key in a group are counted in the order they arrived.
async fn count_group(db: DatabaseConnection, group: Vec<Job>, window: i64) {
    type Replies = Vec<(i64, oneshot::Sender<Result<Counted>>)>;
    let mut per_key: Vec<(String, Replies)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for job in group {
        match index.get(&job.key) {
            Some(&i) => per_key[i].1.push((job.hits, job.reply)),
            None => {
                index.insert(job.key.clone(), per_key.len());
                per_key.push((job.key, vec![(job.hits, job.reply)]));
            }
        }
    }
    let now = crate::time::now().timestamp();
    for chunk in per_key.chunks_mut(GROUP_KEYS) {
        let hits: Vec<(&str, i64)> = chunk
            .iter()
            .map(|(key, replies)| (key.as_str(), replies.iter().map(|(n, _)| n).sum()))
            .collect();
        match add(&db, &hits, now, window).await {
            Ok(totals) => {
                for (key, replies) in chunk.iter_mut() {
                    let n: i64 = replies.iter().map(|(hits, _)| hits).sum();
                    let (total, window_start) = totals.get(key).copied().unwrap_or((n, now));
                    let mut first = total - n + 1;
                    for (hits, reply) in replies.drain(..) {
                        let _ = reply.send(Ok(Counted {
                            first,
                            window_start,
                        }));
                        first += hits;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "a group of hit counts could not be written");
                for (_, replies) in chunk.iter_mut() {
                    for (_, reply) in replies.drain(..) {
                        let _ = reply.send(Err(ApiError::from(DbErr::Custom(e.to_string()))));
                    }
                }
            }
        }
    }
}

/// Adds each key's hits to its row in one statement (a window that ended starts again at `now`)
/// and returns each key's total and window start.
async fn add(
    db: &DatabaseConnection,
    hits: &[(&str, i64)],
    now: i64,
    window: i64,
) -> std::result::Result<HashMap<String, (i64, i64)>, DbErr> {
    let mut insert = Query::insert();
    insert
        .into_table(hit_count::Entity)
        .columns([Column::Key, Column::WindowStart, Column::Hits]);
    for (key, n) in hits {
        insert
            .values([(*key).into(), now.into(), (*n).into()])
            .map_err(|e| DbErr::Custom(e.to_string()))?;
    }
    let ended = format!("hit_count.window_start <= excluded.window_start - {window}");
    insert
        .on_conflict(
            OnConflict::column(Column::Key)
                .values([
                    (
                        Column::Hits,
                        Expr::cust(format!(
                            "CASE WHEN {ended} THEN excluded.hits ELSE hit_count.hits + excluded.hits END"
                        )),
                    ),
                    (
                        Column::WindowStart,
                        Expr::cust(format!(
                            "CASE WHEN {ended} THEN excluded.window_start ELSE hit_count.window_start END"
                        )),
                    ),
                ])
                .to_owned(),
        )
        .returning(Query::returning().columns([Column::Key, Column::WindowStart, Column::Hits]));
    // One statement, one round trip (on PostgreSQL the table is unlogged: its commit does not
    // wait for the disk).
    let answered = db
        .query_all_raw(db.get_database_backend().build(&insert))
        .await?;
    let mut totals = HashMap::with_capacity(answered.len());
    for row in answered {
        let key: String = row.try_get("", "key")?;
        let window_start: i64 = row.try_get("", "window_start")?;
        let hits: i64 = row.try_get("", "hits")?;
        totals.insert(key, (hits, window_start));
    }
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memory_of_keys_stays_bounded() {
        let keys = || -> HashMap<String, i64> {
            (0..MAX_OVER as i64).map(|i| (i.to_string(), i)).collect()
        };
        let mut some_ended = keys();
        bound(&mut some_ended, |start| start % 2 == 0);
        assert_eq!(some_ended.len(), MAX_OVER / 2);
        let mut all_running = keys();
        bound(&mut all_running, |_| true);
        assert!(all_running.is_empty());
    }

    #[test]
    fn only_a_high_limit_reserves_hits_in_blocks() {
        let block = |limit| Limiter::new("v", limit, Duration::from_secs(60)).block;
        assert_eq!(
            block(60),
            1,
            "each hit of a limit people reach is counted alone"
        );
        assert_eq!(block(5), 1);
        assert_eq!(block(6_400), 100);
        assert_eq!(block(u32::MAX), 256);
    }

    #[test]
    fn a_key_is_stored_hashed_and_apart_from_other_limiters() {
        let verify = Limiter::new("verify", 2, Duration::from_secs(60));
        let request = Limiter::new("request", 2, Duration::from_secs(60));
        let key = verify.stored_key(b"s", "45123456");
        assert!(key.starts_with("verify:"));
        assert!(!key.contains("45123456"));
        assert_eq!(key, verify.stored_key(b"s", "45123456"));
        assert_ne!(key, verify.stored_key(b"s", "45123457"));
        assert_ne!(
            key.split_once(':').map(|(_, h)| h.to_owned()),
            request
                .stored_key(b"s", "45123456")
                .split_once(':')
                .map(|(_, h)| h.to_owned())
        );
    }
}
