//! Runs the projections: catch-up, then a live tail woken by appends, with read-your-writes waits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use omi_store::{
    committed_head, load_checkpoints, read_after, save_checkpoints, Backend, Database, LogPosition,
    EVENTS_CHANNEL,
};
use sqlx::postgres::PgListener;
use sqlx::AnyConnection;
use tokio::sync::watch;

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
        loop {
            let applied = self.step(TAIL_BATCH).await?;
            if applied as i64 == TAIL_BATCH {
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
        loop {
            appends.borrow_and_update();
            match self.step(TAIL_BATCH).await {
                Ok(n) if n as i64 == TAIL_BATCH => {
                    failures = 0;
                    continue;
                }
                Ok(_) => failures = 0,
                Err(error) => {
                    failures += 1;
                    tracing::error!(%error, failures, "projecting failed; retrying the batch");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(failures.min(50))))
                        .await;
                    continue;
                }
            }
            tokio::select! {
                _ = appends.changed() => {}
                _ = wait_notification(&mut listener) => {}
                _ = tokio::time::sleep(POLL) => {}
            }
            // The next step reads everything appended so far: notifications already received (among them this
            // projector's own, for the batch it just committed) would only wake it for nothing.
            if let Some(listener) = &mut listener {
                while listener.next_buffered().is_some() {}
            }
        }
    }

    async fn listen(&self) -> Option<PgListener> {
        let pool = self.database.postgres()?;
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
    async fn step(&self, limit: i64) -> Result<usize, ProjectionError> {
        // One process projects at a time: the others wait here for its batch to commit, then find the log
        // applied that far. Read models are derived from the log and commit with their checkpoints, so a batch
        // lost in a crash is projected again at start-up: it need not wait for its own WAL flush.
        let mut tx = self.database.begin_locked_derived(PROJECTOR_LOCK).await?;
        let mut checkpoints = self.load_checkpoints(&mut tx).await?;
        let from = checkpoints
            .iter()
            .copied()
            .min()
            .unwrap_or(LogPosition::START);
        let events = read_after(&self.database, from, limit).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            tx.rollback().await?;
            self.publish(&checkpoints);
            return Ok(0);
        };
        for (projection, at) in self.projections.iter().zip(checkpoints.iter_mut()) {
            let start = events.partition_point(|e| e.position <= *at);
            if start < events.len() {
                projection.apply(&mut tx, &events[start..]).await?;
            }
            *at = last;
        }
        save_checkpoints(&mut tx, &self.names(), last, self.notify()).await?;
        tx.commit().await?;
        self.publish(&checkpoints);
        Ok(events.len())
    }

    async fn load_checkpoints(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<Vec<LogPosition>, ProjectionError> {
        Ok(load_checkpoints(conn, &self.names()).await?)
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

async fn wait_notification(listener: &mut Option<PgListener>) {
    match listener {
        Some(l) => {
            if let Err(error) = l.recv().await {
                tracing::warn!(%error, "LISTEN connection lost; it reconnects on the next wait");
                tokio::time::sleep(POLL).await;
            }
        }
        None => std::future::pending().await,
    }
}
