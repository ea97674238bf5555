//! Runs the projections: catch-up, then a live tail woken by appends, with read-your-writes waits.

use std::sync::Arc;
use std::time::Duration;

use omi_store::{
    load_checkpoint, read_after, save_checkpoint, Backend, Database, LogPosition, EVENTS_CHANNEL,
};
use sqlx::postgres::PgListener;
use sqlx::AnyConnection;
use tokio::sync::watch;

use super::{Projection, ProjectionError};

/// Only one process projects a batch at a time: the batch's transaction holds this advisory lock.
pub(crate) const PROJECTOR_LOCK: i64 = 0x6f6d_6900_0002;
/// Standby processes wake on this when the active one committed a batch.
pub(crate) const CHECKPOINTS_CHANNEL: &str = "omi_checkpoints";
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

/// What one step did.
enum Step {
    /// Applied this many events.
    Applied(usize),
    /// Another process holds the projector lock.
    Standby,
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

    /// Applies everything the log holds now (as far as this process may) and returns the position reached.
    pub async fn catch_up(&self) -> Result<LogPosition, ProjectionError> {
        loop {
            match self.step(TAIL_BATCH).await? {
                Step::Applied(n) if n as i64 == TAIL_BATCH => continue,
                _ => return Ok(self.position()),
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
                Ok(Step::Applied(n)) if n as i64 == TAIL_BATCH => {
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

    /// Applies one batch in one transaction: read models and checkpoints commit together.
    async fn step(&self, limit: i64) -> Result<Step, ProjectionError> {
        let mut tx = self.database.begin_write().await?;
        if self.database.backend() == Backend::Postgres {
            let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_xact_lock($1)")
                .bind(PROJECTOR_LOCK)
                .fetch_one(&mut *tx)
                .await?;
            if !locked {
                let checkpoints = self.load_checkpoints(&mut tx).await?;
                tx.rollback().await?;
                self.publish(&checkpoints);
                return Ok(Step::Standby);
            }
        }
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
            return Ok(Step::Applied(0));
        };
        for (projection, at) in self.projections.iter().zip(checkpoints.iter_mut()) {
            let start = events.partition_point(|e| e.position <= *at);
            if start < events.len() {
                projection.apply(&mut tx, &events[start..]).await?;
            }
            save_checkpoint(&mut tx, projection.name(), last).await?;
            *at = last;
        }
        if self.database.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(CHECKPOINTS_CHANNEL)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.publish(&checkpoints);
        Ok(Step::Applied(events.len()))
    }

    async fn load_checkpoints(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<Vec<LogPosition>, ProjectionError> {
        let mut checkpoints = Vec::with_capacity(self.projections.len());
        for projection in &self.projections {
            checkpoints.push(load_checkpoint(conn, projection.name()).await?);
        }
        Ok(checkpoints)
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
