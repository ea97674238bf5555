//! Runs the projections: catch-up, then a live tail woken by appends, with read-your-writes waits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use omi_store::{
    committed_head, park, read_after_on, read_batch, save_checkpoints, Backend, Batch, Database,
    LogPosition, EVENTS_CHANNEL,
};
use sqlx::postgres::PgListener;
use tokio::sync::watch;

use super::parking::{apply_sorted, lies_with_the_events, Parking, CAREFUL_BATCH};
use super::{Projection, ProjectionError};

/// Only one process projects a batch at a time: the batch's transaction holds this advisory lock.
pub(crate) const PROJECTOR_LOCK: i64 = 0x6f6d_6900_0002;
/// Standby processes wake on this when the active one committed a batch.
pub(crate) const CHECKPOINTS_CHANNEL: &str = "omi_checkpoints";
/// How long start-up catch-up waits for older transactions that hold the commit-order watermark back.
const CATCH_UP_PATIENCE: Duration = Duration::from_secs(30);
/// Events per batch in the live tail.
const TAIL_BATCH: i64 = 2_000;
/// How long the tail sleeps when nothing wakes it; covers lost notifications and transactions that hold the
/// PostgreSQL snapshot horizon back without appending.
const POLL: Duration = Duration::from_millis(100);

/// Keeps a group of projections up to date and tells waiters how far they are.
pub struct Projector {
    database: Database,
    projections: Vec<Arc<dyn Projection>>,
    caught_up: watch::Sender<LogPosition>,
}

impl Projector {
    /// A projector for `projections` over `database`.
    pub fn new(database: Database, projections: Vec<Arc<dyn Projection>>) -> Arc<Self> {
        let (caught_up, _) = watch::channel(LogPosition::START);
        Arc::new(Self {
            database,
            projections,
            caught_up,
        })
    }

    /// The projections it runs.
    pub fn projections(&self) -> &[Arc<dyn Projection>] {
        &self.projections
    }

    /// How far every projection has applied the log.
    pub fn position(&self) -> LogPosition {
        *self.caught_up.borrow()
    }

    /// Waits until every projection has applied the log up to `position`; false when `timeout` ran out.
    pub async fn wait_for(&self, position: LogPosition, timeout: Duration) -> bool {
        let mut receiver = self.caught_up.subscribe();
        tokio::time::timeout(timeout, receiver.wait_for(|at| *at >= position))
            .await
            .is_ok_and(|result| result.is_ok())
    }

    /// Applies everything committed to the log when it is called and returns the position reached. An older
    /// transaction still running elsewhere holds the commit-order watermark back; catch-up waits for it (up to
    /// [`CATCH_UP_PATIENCE`], then goes on and leaves the rest to the tail).
    pub async fn catch_up(&self) -> Result<LogPosition, ProjectionError> {
        let target = committed_head(&self.database).await?;
        let started = Instant::now();
        let mut careful = false;
        loop {
            let (limit, applied) = match self.step(TAIL_BATCH, None, careful).await {
                Ok(applied) => (if careful { CAREFUL_BATCH } else { TAIL_BATCH }, applied),
                Err(error) if !careful && lies_with_the_events(&error) => {
                    careful = true;
                    continue;
                }
                Err(error) => return Err(error),
            };
            careful = false;
            if applied as i64 == limit {
                continue;
            }
            if self.position() >= target {
                return Ok(self.position());
            }
            if started.elapsed() >= CATCH_UP_PATIENCE {
                tracing::warn!(reached = %self.position(), %target, "catch-up stopped short; the tail goes on");
                return Ok(self.position());
            }
            if applied == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    /// Runs the live tail until the process ends.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let projector = Arc::clone(self);
        tokio::spawn(async move { projector.tail().await })
    }

    async fn tail(&self) {
        let mut appends = self.database.appends();
        let mut listener = self.listen().await;
        let mut failures = 0u32;
        let mut careful = false;
        loop {
            let limit = if careful { CAREFUL_BATCH } else { TAIL_BATCH };
            match self.step(limit, Some(&mut appends), careful).await {
                Ok(n) if n as i64 == limit => {
                    (failures, careful) = (0, false);
                    continue;
                }
                Ok(_) => (failures, careful) = (0, false),
                Err(error) if !careful && lies_with_the_events(&error) => {
                    tracing::warn!(%error, "a batch failed; applying it event by event to park the culprit");
                    careful = true;
                    continue;
                }
                Err(error) => {
                    failures += 1;
                    tracing::error!(%error, failures, "projecting failed; retrying the batch");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(failures.min(50))))
                        .await;
                    continue;
                }
            }
            self.wait_for_news(&mut appends, &mut listener).await;
        }
    }

    /// Waits until this process appends after the last step's read, another process appends or projects
    /// (PostgreSQL), or [`POLL`] passes. Notifications of this process's own appends and batches are passed
    /// over: the in-process signal told of the appends, and a batch it committed holds nothing new for it.
    async fn wait_for_news(
        &self,
        appends: &mut watch::Receiver<u64>,
        listener: &mut Option<PgListener>,
    ) {
        let deadline = tokio::time::Instant::now() + POLL;
        loop {
            tokio::select! {
                _ = appends.changed() => return,
                from = wait_notification(listener) => match from {
                    Some(pid) if self.database.is_own_backend(pid) => continue,
                    _ => return,
                },
                _ = tokio::time::sleep_until(deadline) => return,
            }
        }
    }

    async fn listen(&self) -> Option<PgListener> {
        let pool = self.database.held()?;
        let mut listener = match PgListener::connect_with(pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot LISTEN; falling back to polling");
                return None;
            }
        };
        if let Err(error) = listener
            .listen_all([EVENTS_CHANNEL, CHECKPOINTS_CHANNEL])
            .await
        {
            tracing::warn!(%error, "cannot LISTEN; falling back to polling");
            return None;
        }
        Some(listener)
    }

    /// Applies one batch in one transaction (read models and checkpoints commit together) and returns how many
    /// events it read.
    /// `appends`, when given, is marked seen just before the read: appends announced up to then are in it.
    /// `careful` applies the events one by one and parks those that fail (after a batch failed as a whole).
    async fn step(
        &self,
        limit: i64,
        appends: Option<&mut watch::Receiver<u64>>,
        careful: bool,
    ) -> Result<usize, ProjectionError> {
        // One process projects at a time: the others wait here for its batch to commit, then find the log
        // applied that far. Read models are derived from the log and commit with their checkpoints, so a batch
        // lost in a crash is projected again at start-up: it need not wait for its own WAL flush.
        let mut tx = self.database.begin_locked_derived(PROJECTOR_LOCK).await?;
        let names = self.names();
        let backend = self.database.backend();
        // The checkpoints are where this process left them unless another one projected meanwhile: read them
        // and the events after that position in one statement.
        let expected = self.position();
        if let Some(appends) = appends {
            appends.borrow_and_update();
        }
        let Batch {
            mut checkpoints,
            mut events,
            parked,
        } = read_batch(&mut tx, backend, &names, expected, limit).await?;
        let from = checkpoints
            .iter()
            .copied()
            .min()
            .unwrap_or(LogPosition::START);
        if from < expected {
            // Behind where this process left them (a rebuild moved them back): read from there instead.
            events = read_after_on(&mut tx, backend, from, limit).await?;
        }
        let Some(last) = events.last().map(|e| e.position) else {
            tx.rollback().await?;
            self.publish(&checkpoints);
            return Ok(0);
        };
        let mut parking = Parking::new(&parked);
        for (projection, at) in self.projections.iter().zip(checkpoints.iter_mut()) {
            let start = events.partition_point(|e| e.position <= *at);
            if start < events.len() {
                apply_sorted(
                    &mut tx,
                    &**projection,
                    &events[start..],
                    &mut parking,
                    careful,
                )
                .await?;
            }
            // A checkpoint already past the batch (another process went further) stays where it is.
            *at = (*at).max(last);
        }
        if !parking.new.is_empty() {
            park(&mut tx, &parking.new).await?;
        }
        let saved: Vec<(&str, LogPosition)> = names
            .iter()
            .copied()
            .zip(checkpoints.iter().copied())
            .collect();
        save_checkpoints(&mut tx, &saved, self.notify()).await?;
        tx.commit().await?;
        self.publish(&checkpoints);
        Ok(events.len())
    }

    /// Standby processes wake on this channel when a batch commits (PostgreSQL).
    fn notify(&self) -> Option<&'static str> {
        (self.database.backend() == Backend::Postgres).then_some(CHECKPOINTS_CHANNEL)
    }

    fn names(&self) -> Vec<&'static str> {
        self.projections.iter().map(|p| p.name()).collect()
    }

    fn publish(&self, checkpoints: &[LogPosition]) {
        let reached = checkpoints
            .iter()
            .copied()
            .min()
            .unwrap_or(LogPosition::START);
        self.caught_up.send_if_modified(|at| {
            let advanced = reached > *at;
            if advanced {
                *at = reached;
            }
            advanced
        });
    }
}

/// The next notification's sender (the backend's process id); `None` when the connection was lost (after a
/// pause) or there is no listener (never).
async fn wait_notification(listener: &mut Option<PgListener>) -> Option<u32> {
    match listener {
        Some(l) => match l.recv().await {
            Ok(notification) => Some(notification.process_id()),
            Err(error) => {
                tracing::warn!(%error, "LISTEN connection lost; it reconnects on the next wait");
                tokio::time::sleep(POLL).await;
                None
            }
        },
        None => std::future::pending().await,
    }
}
