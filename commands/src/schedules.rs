//! Scheduled reactions: work a clock starts rather than an event (the daily summaries). Like the reactions of
//! the log, each runs in one process at a time: on PostgreSQL the process that holds its session lock
//! (`schedule:<name>`) ticks it and the others stand by, taking over when that process goes; on SQLite one
//! process owns the store. A tick must be idempotent: the lock can change hands between two ticks, and a tick
//! cut short by a crash runs again.

use std::sync::Arc;
use std::time::Duration;

use omi_store::{Backend, Database};
use sqlx::pool::PoolConnection;
use sqlx::Postgres;

use crate::reactions::{acquire, ReactFuture};

/// Work done every [`Schedule::every`].
pub trait Schedule: Send + Sync + 'static {
    /// The stable name, used for its lock.
    fn name(&self) -> &'static str;
    /// The pause between two ticks.
    fn every(&self) -> Duration;
    /// Does the work that is due now. An error is logged and the next tick tries again.
    fn tick(&self) -> ReactFuture<'_>;
}

/// How long a process that does not hold the lock waits before it tries again.
const STAND_BY: Duration = Duration::from_secs(1);

/// Runs `schedule` until the process ends.
pub fn spawn(database: Database, schedule: Arc<dyn Schedule>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move { run(database, schedule).await })
}

async fn run(database: Database, schedule: Arc<dyn Schedule>) {
    let name = format!("schedule:{}", schedule.name());
    loop {
        let lock = match acquire(&database, &name).await {
            Ok(Some(lock)) => Some(lock),
            Ok(None) if database.backend() == Backend::Sqlite => None,
            Ok(None) => {
                tokio::time::sleep(STAND_BY.min(schedule.every())).await;
                continue;
            }
            Err(error) => {
                tracing::warn!(schedule = %name, %error, "cannot take the schedule lock; retrying");
                tokio::time::sleep(STAND_BY).await;
                continue;
            }
        };
        let error = ticks(schedule.as_ref(), &name, lock).await;
        tracing::warn!(schedule = %name, %error, "schedule lost its lock; standing by");
        tokio::time::sleep(STAND_BY).await;
    }
}

/// Ticks while the lock connection (if any) is alive; returns why it stopped.
async fn ticks(
    schedule: &dyn Schedule,
    name: &str,
    mut lock: Option<PoolConnection<Postgres>>,
) -> sqlx::Error {
    loop {
        if let Some(conn) = &mut lock {
            // A broken lock connection means another process may have taken over.
            if let Err(error) = sqlx::query("SELECT 1").execute(&mut **conn).await {
                return error;
            }
        }
        if let Err(error) = schedule.tick().await {
            tracing::error!(schedule = %name, %error, "scheduled work failed; the next tick tries again");
        }
        tokio::time::sleep(schedule.every()).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::reactions::ReactionError;

    /// Counts its ticks; every other one fails.
    struct Counting(Arc<AtomicUsize>);

    impl Schedule for Counting {
        fn name(&self) -> &'static str {
            "counting"
        }

        fn every(&self) -> Duration {
            Duration::from_millis(10)
        }

        fn tick(&self) -> ReactFuture<'_> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                if n.is_multiple_of(2) {
                    Err(ReactionError("the model is down".into()))
                } else {
                    Ok(())
                }
            })
        }
    }

    #[tokio::test]
    async fn a_schedule_keeps_ticking_after_a_failed_tick() {
        let dir = std::env::temp_dir().join(format!("omi-schedules-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let database = Database::open(None, &dir, 2).await.unwrap();
        let ticks = Arc::new(AtomicUsize::new(0));
        let running = spawn(database.clone(), Arc::new(Counting(ticks.clone())));
        let started = std::time::Instant::now();
        while ticks.load(Ordering::SeqCst) < 4 {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "ticks stopped at {}",
                ticks.load(Ordering::SeqCst)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        running.abort();
        database.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
