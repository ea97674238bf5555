//! Runs the projections: catch-up, then a live tail woken by appends, with read-your-writes waits.
//!
//! The read models run in two groups, each with its own transaction per batch, its own lock and its own tail: the
//! lead group, which every write waits for, and the followers (the search index), whose rows are derived from the
//! lead group's rows (`Projection::follows`). A follower never applies an event its lead read models have not
//! committed, so it reads their rows as they stood after that event or later; it runs beside the lead group, so
//! writes do not wait for it, and the reads of its read models wait for it instead
//! ([`Projector::wait_for`] with the log's head).

use std::sync::Arc;
use std::time::{Duration, Instant};

use omi_store::{
    committed_head, park, read_after_on, read_batch, save_checkpoints, Backend, Batch, Database,
    LogPosition, WriteTx, EVENTS_CHANNEL,
};
use sqlx::postgres::PgListener;
use tokio::sync::watch;

use super::parking::{apply_sorted, lies_with_the_events, Parking, CAREFUL_BATCH};
use super::{Projection, ProjectionError};

/// Only one process projects a batch of the lead group at a time: the batch's transaction holds this advisory lock.
pub(crate) const PROJECTOR_LOCK: i64 = 0x6f6d_6900_0002;
/// The same for the followers' group.
pub(crate) const FOLLOWERS_LOCK: i64 = 0x6f6d_6900_0003;
/// Every group's lock, in the order a rebuild or a retry of parked events takes them (all of them, so that no
/// group projects meanwhile).
pub(crate) const PROJECTOR_LOCKS: [i64; 2] = [PROJECTOR_LOCK, FOLLOWERS_LOCK];
/// Standby processes wake on this when the active one committed a batch.
pub(crate) const CHECKPOINTS_CHANNEL: &str = "omi_checkpoints";
/// How long start-up catch-up waits for older transactions that hold the commit-order watermark back.
const CATCH_UP_PATIENCE: Duration = Duration::from_secs(30);
/// Events per batch in the live tail.
const TAIL_BATCH: i64 = 2_000;
/// How long the tail sleeps when nothing wakes it; covers lost notifications and transactions that hold the
/// PostgreSQL snapshot horizon back without appending.
const POLL: Duration = Duration::from_millis(100);

/// A transaction holding every group's lock (a retry of parked events): no group projects until it ends.
pub(crate) async fn begin_with_every_lock(database: &Database) -> Result<WriteTx, sqlx::Error> {
    let mut tx = database.begin_locked_derived(PROJECTOR_LOCK).await?;
    if database.backend() == Backend::Postgres {
        for lock in &PROJECTOR_LOCKS[1..] {
            sqlx::query(&format!("SELECT pg_advisory_xact_lock({lock})"))
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(tx)
}

/// Keeps the read models up to date, in their groups, and tells waiters how far they are.
pub struct Projector {
    lead: Arc<Group>,
    /// When any read model follows others.
    followers: Option<Arc<Group>>,
}

impl Projector {
    /// A projector for `projections` over `database`: those that follow others (`Projection::follows`) in a group
    /// of their own behind the rest.
    pub fn new(database: Database, projections: Vec<Arc<dyn Projection>>) -> Arc<Self> {
        let (followers, lead): (Vec<_>, Vec<_>) = projections
            .into_iter()
            .partition(|p| !p.follows().is_empty());
        let lead = Group::new(database.clone(), lead, PROJECTOR_LOCK, Vec::new(), None);
        let mut following = None;
        if !followers.is_empty() {
            let mut followed: Vec<&'static str> = followers
                .iter()
                .flat_map(|p| p.follows().iter().copied())
                .collect();
            followed.sort_unstable();
            followed.dedup();
            let upstream = lead.caught_up.subscribe();
            following = Some(Group::new(
                database,
                followers,
                FOLLOWERS_LOCK,
                followed,
                Some(upstream),
            ));
        }
        Arc::new(Self {
            lead,
            followers: following,
        })
    }

    /// The lead group, then the followers'.
    fn groups(&self) -> impl Iterator<Item = &Arc<Group>> {
        std::iter::once(&self.lead).chain(&self.followers)
    }

    /// The projections it runs, the lead group's first.
    pub fn projections(&self) -> Vec<Arc<dyn Projection>> {
        self.groups()
            .flat_map(|group| group.projections.iter().cloned())
            .collect()
    }

    /// How far every projection has applied the log.
    pub fn position(&self) -> LogPosition {
        self.groups()
            .map(|group| group.position())
            .min()
            .unwrap_or(LogPosition::START)
    }

    /// Waits until every projection has applied the log up to `position`; false when `timeout` ran out.
    pub async fn wait_for(&self, position: LogPosition, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        for group in self.groups() {
            if !group.wait_until(position, deadline).await {
                return false;
            }
        }
        true
    }

    /// Waits until the lead group (every read model but those that follow others) has applied the log up to
    /// `position`: what a write waits for before it answers; false when `timeout` ran out.
    pub async fn wait_for_lead(&self, position: LogPosition, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        self.lead.wait_until(position, deadline).await
    }

    /// Applies everything committed to the log when it is called, group by group, and returns the position
    /// reached (see [`Group::catch_up`]).
    pub async fn catch_up(&self) -> Result<LogPosition, ProjectionError> {
        let mut reached = None::<LogPosition>;
        for group in self.groups() {
            let at = group.catch_up().await?;
            reached = Some(reached.map_or(at, |r| r.min(at)));
        }
        Ok(reached.unwrap_or(LogPosition::START))
    }

    /// Runs every group's live tail until the process ends (or the task is aborted).
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let projector = Arc::clone(self);
        tokio::spawn(async move {
            match &projector.followers {
                Some(followers) => {
                    tokio::join!(projector.lead.tail(), followers.tail());
                }
                None => projector.lead.tail().await,
            }
        })
    }
}

/// One group of projections, applied together in one transaction per batch.
struct Group {
    database: Database,
    projections: Vec<Arc<dyn Projection>>,
    caught_up: watch::Sender<LogPosition>,
    /// The lock its batches hold.
    lock: i64,
    /// The read models whose committed checkpoints bound what it applies (none for the lead group).
    followed: Vec<&'static str>,
    /// The lead group's progress in this process, which wakes a follower.
    upstream: Option<watch::Receiver<LogPosition>>,
}

impl Group {
    fn new(
        database: Database,
        projections: Vec<Arc<dyn Projection>>,
        lock: i64,
        followed: Vec<&'static str>,
        upstream: Option<watch::Receiver<LogPosition>>,
    ) -> Arc<Self> {
        let (caught_up, _) = watch::channel(LogPosition::START);
        Arc::new(Self {
            database,
            projections,
            caught_up,
            lock,
            followed,
            upstream,
        })
    }

    fn position(&self) -> LogPosition {
        *self.caught_up.borrow()
    }

    /// Waits until the group has applied the log up to `position`; false when `deadline` passed.
    async fn wait_until(&self, position: LogPosition, deadline: tokio::time::Instant) -> bool {
        let mut receiver = self.caught_up.subscribe();
        tokio::time::timeout_at(deadline, receiver.wait_for(|at| *at >= position))
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

    async fn tail(&self) {
        let mut appends = self.database.appends();
        let mut upstream = self.upstream.clone();
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
            self.wait_for_news(&mut appends, upstream.as_mut(), &mut listener)
                .await;
        }
    }

    /// Waits until this process appends after the last step's read, another process appends or projects
    /// (PostgreSQL), or [`POLL`] passes. Notifications of this process's own appends and batches are passed
    /// over: the in-process signal told of the appends, and a batch it committed holds nothing new for it.
    async fn wait_for_news(
        &self,
        appends: &mut watch::Receiver<u64>,
        upstream: Option<&mut watch::Receiver<LogPosition>>,
        listener: &mut Option<PgListener>,
    ) {
        let deadline = tokio::time::Instant::now() + POLL;
        let mut upstream = upstream;
        loop {
            tokio::select! {
                // A follower moves when the lead group does, not when the log grows.
                _ = async {
                    match upstream.as_mut() {
                        Some(lead) => { let _ = lead.changed().await; }
                        None => std::future::pending::<()>().await,
                    }
                } => return,
                _ = appends.changed(), if upstream.is_none() => return,
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
        let mut tx = self.database.begin_locked_derived(self.lock).await?;
        let names = self.names();
        let backend = self.database.backend();
        // The checkpoints are where this process left them unless another one projected meanwhile: read them
        // and the events after that position in one statement.
        let expected = self.position();
        if let Some(appends) = appends {
            appends.borrow_and_update();
        }
        let read: Vec<&str> = names.iter().chain(&self.followed).copied().collect();
        let Batch {
            mut checkpoints,
            mut events,
            parked,
        } = read_batch(&mut tx, backend, &read, expected, limit).await?;
        // A follower applies only what the read models it follows have committed.
        let bound = checkpoints.split_off(names.len()).into_iter().min();
        let from = checkpoints
            .iter()
            .copied()
            .min()
            .unwrap_or(LogPosition::START);
        if from < expected {
            // Behind where this process left them (a rebuild moved them back): read from there instead.
            events = read_after_on(&mut tx, backend, from, limit).await?;
        }
        if let Some(bound) = bound {
            events.retain(|event| event.position <= bound);
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
