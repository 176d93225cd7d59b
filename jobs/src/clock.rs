//! The clock every part of the server reads.
//!
//! A server runs on the system's clock unless its configuration sets the instant it starts at
//! (`clock.start`): a demonstration, or a test that needs the world to be on a given day. The
//! clock is carried by the task that serves a connection or runs a job ([`Clock::scope`]), so
//! two servers in one process (as in the black-box tests) each keep their own; code that runs
//! outside any scope reads the process's clock ([`set_process_clock`]), by default the system's.

use std::{future::Future, sync::OnceLock};

use chrono::{DateTime, TimeDelta, Utc};

tokio::task_local! {
    static CURRENT: Clock;
}

static PROCESS: OnceLock<Clock> = OnceLock::new();

/// Sets, once, the clock of code that runs outside any scope (a test harness that calls the
/// library directly); answers whether this call set it.
pub fn set_process_clock(clock: Clock) -> bool {
    PROCESS.set(clock).is_ok()
}

/// A clock: the system's, or the system's moved by a fixed offset (time still flows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    offset: TimeDelta,
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `instant` now and runs on from there.
    pub fn starting_at(instant: DateTime<Utc>) -> Self {
        Self {
            offset: instant - Utc::now(),
        }
    }

    /// A clock `offset` away from the system's.
    pub fn with_offset(offset: TimeDelta) -> Self {
        Self { offset }
    }

    /// How far this clock is from the system's.
    pub fn offset(&self) -> TimeDelta {
        self.offset
    }

    /// The current instant on this clock.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    /// The clock of the running task (the process's outside any scope).
    pub fn current() -> Self {
        CURRENT
            .try_with(|clock| *clock)
            .unwrap_or_else(|_| PROCESS.get().copied().unwrap_or_default())
    }

    /// Runs `work` with this clock as the task's clock.
    pub fn scope<F: Future>(self, work: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self, work)
    }

    /// Runs blocking `work` with this clock as the thread's clock while it runs.
    pub fn sync_scope<R>(self, work: impl FnOnce() -> R) -> R {
        CURRENT.sync_scope(self, work)
    }
}

/// The current instant on the running task's clock.
pub fn now() -> DateTime<Utc> {
    Clock::current().now()
}

/// Spawns `work` on the runtime, keeping the running task's clock.
pub fn spawn<F>(work: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(Clock::current().scope(work))
}

/// Runs blocking `work` on the blocking pool, keeping the running task's clock.
pub fn spawn_blocking<R, W>(work: W) -> tokio::task::JoinHandle<R>
where
    W: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let clock = Clock::current();
    tokio::task::spawn_blocking(move || clock.sync_scope(work))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scope_moves_the_clock_of_its_task_and_of_what_it_spawns() {
        let start = DateTime::parse_from_rfc3339("2031-01-01T04:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Clock::starting_at(start);
        let (inside, spawned, blocking) = clock
            .scope(async {
                let spawned = spawn(async { now() }).await.unwrap();
                let blocking = spawn_blocking(now).await.unwrap();
                (now(), spawned, blocking)
            })
            .await;
        for read in [inside, spawned, blocking] {
            assert!((read - start).abs() < TimeDelta::seconds(5), "{read}");
        }
        assert!((now() - Utc::now()).abs() < TimeDelta::seconds(5));
    }
}
