//! The reaction runtime: consumers of the log whose effects are commands or calls to the outside world (the
//! processing pipeline, syncing action items and memories, webhooks). Each reaction reads the log in commit
//! order from its own checkpoint, handles every event at least once, and runs in one process at a time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use omi_store::{
    head_position, load_checkpoint, read_after_of, save_checkpoint, Backend, Database, LogPosition,
    RecordedEvent, EVENTS_CHANNEL,
};
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgListener;
use sqlx::Postgres;

/// Why a reaction could not handle an event now. The runtime retries the same event with a growing pause, so a
/// reaction returns an error only for failures that may pass (a store that is down); a failure of the outside
/// service it calls is a result it records as a command (for example "processing failed").
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ReactionError(pub String);

/// The future a reaction returns.
pub type ReactFuture<'a> = Pin<Box<dyn Future<Output = Result<(), ReactionError>> + Send + 'a>>;

/// A consumer of the log with side effects. Handling must be idempotent: the checkpoint is saved once per batch,
/// so after a crash the events of the last unfinished batch are handled again.
pub trait Reaction: Send + Sync + 'static {
    /// The stable name, used for its checkpoint and its lock.
    fn name(&self) -> &'static str;
    /// The aggregate types whose events it handles; the others are not even decoded for it.
    fn reads(&self) -> &'static [&'static str];
    /// Handles one event.
    fn react<'a>(&'a self, event: &'a RecordedEvent) -> ReactFuture<'a>;
}

/// Events read per batch.
const BATCH: i64 = 500;
/// How long the tail sleeps when nothing wakes it.
const POLL: Duration = Duration::from_millis(250);
/// How long a woken reaction waits for more appends before it reads: reactions are not on any request's path,
/// and under load one read of many events costs far less than many reads of a few.
const GATHER: Duration = Duration::from_millis(20);
/// How often a busy reaction saves its checkpoint at most.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Runs `reaction` until the process ends. A reaction that has never run starts at the head of the log as it is
/// when this is called: a new consumer acts on what happens from now on, not on history. Call it before serving,
/// so that nothing a request appends can fall before the start.
pub async fn spawn(
    database: Database,
    reaction: Arc<dyn Reaction>,
) -> Result<tokio::task::JoinHandle<()>, sqlx::Error> {
    enroll(&database, &checkpoint_name(reaction.name())).await?;
    Ok(tokio::spawn(async move { run(database, reaction).await }))
}

/// Gives a reaction that has never run its starting checkpoint: the head of the log now. A checkpoint that exists
/// (perhaps just written by another process) is left as it is.
async fn enroll(database: &Database, name: &str) -> Result<(), sqlx::Error> {
    let _turn = database.writer_turn().await;
    let head = head_position(database)
        .await
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    sqlx::query(
        "INSERT INTO projection_checkpoints (name, transaction_id, global_position) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(head.transaction)
    .bind(head.global)
    .execute(database.pool())
    .await?;
    Ok(())
}

/// The name under which the reaction named `reaction` keeps its checkpoint (beside the read models').
pub fn checkpoint_name(reaction: &str) -> String {
    format!("reaction:{reaction}")
}

/// A lock key per reaction, derived from its name (FNV-1a, stable across builds and processes).
pub(crate) fn lock_key(name: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

async fn run(database: Database, reaction: Arc<dyn Reaction>) {
    let name = checkpoint_name(reaction.name());
    loop {
        // On PostgreSQL only the process holding the reaction's session lock runs it; the lock goes with the
        // connection, so a crashed process hands over to another one.
        let lock = match acquire(&database, &name).await {
            Ok(Some(lock)) => Some(lock),
            Ok(None) if database.backend() == Backend::Sqlite => None,
            Ok(None) => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(error) => {
                tracing::warn!(reaction = %name, %error, "cannot take the reaction lock; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(error) = follow(&database, reaction.as_ref(), &name, lock).await {
            tracing::error!(reaction = %name, %error, "reaction stopped; restarting");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// On PostgreSQL, a connection holding the session lock named after `name`, if no other process holds it;
/// `None` on SQLite, where one process owns the store.
pub(crate) async fn acquire(
    database: &Database,
    name: &str,
) -> Result<Option<PoolConnection<Postgres>>, sqlx::Error> {
    let Some(pool) = database.held() else {
        return Ok(None);
    };
    let mut conn = pool.acquire().await?;
    let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
        .bind(lock_key(name))
        .fetch_one(&mut *conn)
        .await?;
    Ok(locked.then_some(conn))
}

async fn follow(
    database: &Database,
    reaction: &dyn Reaction,
    name: &str,
    mut lock: Option<PoolConnection<Postgres>>,
) -> Result<(), sqlx::Error> {
    let mut at = start_position(database, name).await?;
    let mut saved = at;
    let mut saved_at = Instant::now();
    let mut appends = database.appends();
    let mut listener = match database.held() {
        Some(pool) => {
            let mut listener = PgListener::connect_with(pool).await?;
            listener.listen(EVENTS_CHANNEL).await?;
            Some(listener)
        }
        None => None,
    };
    loop {
        if let Some(conn) = &mut lock {
            // Still ours? A broken lock connection means another process may have taken over.
            sqlx::query("SELECT 1").execute(&mut **conn).await?;
        }
        appends.borrow_and_update();
        let window = read_after_of(database, at, BATCH, reaction.reads())
            .await
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        for event in &window.events {
            handle(reaction, name, event).await;
        }
        if let Some(last) = window.last {
            at = last;
        }
        // The checkpoint is saved at most once per CHECKPOINT_EVERY (and whenever the log goes quiet): a crash
        // hands the events since then over again, which idempotent handling allows.
        if at > saved && (saved_at.elapsed() >= CHECKPOINT_EVERY || window.last.is_none()) {
            let _turn = database.writer_turn().await;
            let mut conn = database.pool().acquire().await?;
            save_checkpoint(&mut conn, name, at).await?;
            saved = at;
            saved_at = Instant::now();
        }
        if window.full {
            continue;
        }
        tokio::select! {
            _ = appends.changed() => {}
            _ = async {
                match &mut listener {
                    Some(listener) => { let _ = listener.recv().await; }
                    None => std::future::pending::<()>().await,
                }
            } => {}
            _ = tokio::time::sleep(POLL) => {}
        }
        // Let a burst of appends gather, then read it at once; drop the wake-ups it caused meanwhile.
        tokio::time::sleep(GATHER).await;
        if let Some(listener) = &mut listener {
            while listener.next_buffered().is_some() {}
        }
    }
}

/// Retries one event until the reaction handles it.
async fn handle(reaction: &dyn Reaction, name: &str, event: &RecordedEvent) {
    let mut failures = 0u32;
    while let Err(error) = reaction.react(event).await {
        failures += 1;
        tracing::error!(reaction = %name, position = %event.position, failures, %error, "reaction failed; retrying");
        tokio::time::sleep(Duration::from_millis(200 * u64::from(failures.min(150)))).await;
    }
}

/// The reaction's checkpoint (recorded by [`enroll`] at the latest).
async fn start_position(database: &Database, name: &str) -> Result<LogPosition, sqlx::Error> {
    let mut conn = database.pool().acquire().await?;
    load_checkpoint(&mut conn, name).await
}

#[cfg(test)]
mod tests {
    use super::lock_key;

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        assert_eq!(
            lock_key("reaction:processing"),
            lock_key("reaction:processing")
        );
        assert_ne!(lock_key("reaction:processing"), lock_key("reaction:sync"));
    }
}
