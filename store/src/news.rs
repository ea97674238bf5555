//! Telling a reader of the log that it may have grown: this process's appends (the in-process signal), other
//! processes' appends (PostgreSQL `LISTEN` on [`EVENTS_CHANNEL`]), or, as the fallback for lost notifications
//! and for writers the signal does not reach, the passing of a poll interval.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::watch;

use crate::{Database, EVENTS_CHANNEL};

/// The wake-ups of one reader of the log.
pub struct LogNews {
    appends: watch::Receiver<u64>,
    listener: Option<PgListener>,
    poll: Duration,
}

impl LogNews {
    /// Listens on `database` (a `LISTEN` connection of its own on PostgreSQL; without one it polls) and wakes
    /// at least every `poll`.
    pub async fn listen(database: &Database, poll: Duration) -> LogNews {
        let listener = match database.held() {
            Some(pool) => match PgListener::connect_with(pool).await {
                Ok(mut listener) => match listener.listen(EVENTS_CHANNEL).await {
                    Ok(()) => Some(listener),
                    Err(error) => {
                        tracing::warn!(%error, "cannot LISTEN for appends; polling instead");
                        None
                    }
                },
                Err(error) => {
                    tracing::warn!(%error, "cannot LISTEN for appends; polling instead");
                    None
                }
            },
            None => None,
        };
        LogNews {
            appends: database.appends(),
            listener,
            poll,
        }
    }

    /// Marks the news so far as taken: call it just before reading the log, so that an append announced
    /// during the read wakes the next [`LogNews::wait`].
    pub fn taken(&mut self) {
        self.appends.borrow_and_update();
    }

    /// Waits until the log may have grown since [`LogNews::taken`] (or the poll interval passes), then drops
    /// the notifications that arrived meanwhile: one read answers them all.
    pub async fn wait(&mut self) {
        tokio::select! {
            _ = self.appends.changed() => {}
            lost = async {
                match self.listener.as_mut() {
                    Some(listener) => listener.recv().await.is_err(),
                    None => std::future::pending().await,
                }
            } => if lost {
                // PgListener reconnects on its next use; meanwhile, poll.
                tracing::warn!("the LISTEN connection was lost; it reconnects on the next wait");
                tokio::time::sleep(self.poll).await;
            },
            _ = tokio::time::sleep(self.poll) => {}
        }
        if let Some(listener) = &mut self.listener {
            while listener.next_buffered().is_some() {}
        }
    }
}
