//! Following the log as it grows, for the feed's event streams and `omi-server events --follow`.
//!
//! One reader per process, the [`ChangeHub`], follows the whole log while anyone follows it: woken by this
//! process's appends, by PostgreSQL `NOTIFY` for other processes' (polling as the fallback), it reads each new
//! stretch of the log once and hands it to every follower. A [`Follow`] first reads the log itself from its
//! cursor, then takes the hub's batches, keeping the events of its user after its cursor. Whenever it may have
//! missed a batch (it fell behind the hub's buffer while its client was slow, or the hub started after it did) it
//! reads the log from its cursor again, so it never skips an event, and its cursor keeps it from repeating one.
//!
//! Why that is enough: the hub's batches follow each other without a gap while it has followers, and every event
//! the hub had read before a follower subscribed is readable by the follower's first read, which comes after
//! (the commit-order watermark only rises). A follower that subscribed while the hub was idle reads the log once
//! more when the hub has started (it announces its start with an empty batch), since the hub starts at the head
//! of the log as it is then.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Once, OnceLock, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use omi_store::{
    head_position, read_log, read_user_log, Database, LogNews, LogPosition, LoggedEvent, ReadError,
};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, Notify, OwnedSemaphorePermit, Semaphore};

/// Events the hub reads at once.
const HUB_BATCH: i64 = 1_000;
/// Events a follower reads at once from the log.
const CATCH_UP_PAGE: i64 = 500;
/// Batches kept for followers that have not taken them yet; one that falls further behind reads the log.
const BUFFERED_BATCHES: usize = 1_024;
/// How long the hub waits when nothing wakes it: covers lost notifications.
const POLL: Duration = Duration::from_millis(500);

/// The process's reader of new events, shared by every follower; cheap to clone.
#[derive(Clone)]
pub struct ChangeHub {
    inner: Arc<Hub>,
}

struct Hub {
    database: Database,
    batches: broadcast::Sender<Arc<Batch>>,
    /// While the hub runs: the position its last batch ended at (the next batch starts right after it). `None`
    /// while it waits for followers, reading nothing.
    running: Mutex<Option<LogPosition>>,
    /// Wakes the hub when the first follower comes.
    followed: Notify,
    started: Once,
    /// Followers that may be open at once.
    slots: Arc<Semaphore>,
}

/// Consecutive events of the log, as the hub read them.
struct Batch {
    events: Vec<Arc<Followed>>,
}

/// An event as followers receive it: the logged event, and its rendering by the door that shows it, made by the
/// first follower that asks and shared with every other (a thousand streams of one user format each event once).
#[derive(Debug)]
pub struct Followed {
    pub event: LoggedEvent,
    rendered: OnceLock<Bytes>,
}

impl Followed {
    fn new(event: LoggedEvent) -> Arc<Followed> {
        Arc::new(Followed {
            event,
            rendered: OnceLock::new(),
        })
    }

    /// The event rendered by `render`; every follower of this event gets the first rendering (a door renders
    /// an event always the same way).
    pub fn rendered(&self, render: impl FnOnce(&LoggedEvent) -> Bytes) -> Bytes {
        self.rendered.get_or_init(|| render(&self.event)).clone()
    }
}

impl ChangeHub {
    /// A hub over `database` that lets `max_followers` follow at once.
    pub fn new(database: Database, max_followers: usize) -> ChangeHub {
        ChangeHub::buffering(database, max_followers, BUFFERED_BATCHES)
    }

    fn buffering(database: Database, max_followers: usize, batches: usize) -> ChangeHub {
        ChangeHub {
            inner: Arc::new(Hub {
                database,
                batches: broadcast::channel(batches).0,
                running: Mutex::new(None),
                followed: Notify::new(),
                started: Once::new(),
                slots: Arc::new(Semaphore::new(max_followers)),
            }),
        }
    }

    /// Follows the events of `uid` (every user's when `None`) after `after`; `None` when `max_followers` already
    /// follow.
    pub fn follow(&self, uid: Option<&str>, after: LogPosition) -> Option<Follow> {
        let slot = Arc::clone(&self.inner.slots).try_acquire_owned().ok()?;
        let hub = &self.inner;
        hub.started.call_once(|| {
            tokio::spawn(run(Arc::clone(hub)));
        });
        let (batches, hub_running) = {
            let running = hub.running.lock().unwrap_or_else(PoisonError::into_inner);
            (hub.batches.subscribe(), running.is_some())
        };
        hub.followed.notify_one();
        Some(Follow {
            database: hub.database.clone(),
            uid: uid.map(str::to_string),
            after,
            batches,
            pending: VecDeque::new(),
            catch_up: true,
            check_next_batch: !hub_running,
            _slot: slot,
        })
    }
}

/// The events of one user (or of everyone) after a cursor, in commit order, as they come.
pub struct Follow {
    database: Database,
    uid: Option<String>,
    /// The position of the last event handed out or queued: the follower's cursor.
    after: LogPosition,
    batches: broadcast::Receiver<Arc<Batch>>,
    pending: VecDeque<Arc<Followed>>,
    /// Read the log after `after` before taking batches.
    catch_up: bool,
    /// The hub was not running when this follower subscribed: its first batch (the empty one it sends when it
    /// starts, at the latest) may start past the follower's first read, so that batch sends the follower to the
    /// log once more.
    check_next_batch: bool,
    _slot: OwnedSemaphorePermit,
}

impl Follow {
    /// The next event, waiting for it to be appended if need be. Cancel-safe: dropping the future loses
    /// nothing, and the next call goes on from the same cursor.
    pub async fn next(&mut self) -> Result<Arc<Followed>, ReadError> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(event);
            }
            if self.catch_up {
                let events = match &self.uid {
                    Some(uid) => {
                        read_user_log(&self.database, uid, self.after, CATCH_UP_PAGE).await?
                    }
                    None => read_log(&self.database, self.after, CATCH_UP_PAGE).await?,
                };
                self.catch_up = events.len() as i64 == CATCH_UP_PAGE;
                if let Some(last) = events.last() {
                    self.after = last.position;
                }
                self.pending.extend(events.into_iter().map(Followed::new));
                continue;
            }
            match self.batches.recv().await {
                Ok(batch) if self.check_next_batch => {
                    self.check_next_batch = false;
                    self.catch_up = true;
                    drop(batch);
                }
                Ok(batch) => {
                    for event in &batch.events {
                        if event.event.position > self.after && self.wants(&event.event) {
                            self.after = event.event.position;
                            self.pending.push_back(Arc::clone(event));
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => self.catch_up = true,
                // The hub lives as long as the process; without it, reading the log is all that is left.
                Err(RecvError::Closed) => {
                    tokio::time::sleep(POLL).await;
                    self.catch_up = true;
                }
            }
        }
    }

    /// Whether [`Follow::next`] has an event at hand (answers without reading or waiting).
    pub fn ready(&self) -> bool {
        !self.pending.is_empty()
    }

    fn wants(&self, event: &LoggedEvent) -> bool {
        self.uid
            .as_deref()
            .is_none_or(|uid| event.metadata.uid == uid)
    }
}

/// The hub: waits for followers, then reads the log from its head on, batch after batch, until none is left.
/// It ends when the database is closed (the server is shutting down): the close waits for the connection the hub
/// listens on.
async fn run(hub: Arc<Hub>) {
    let mut listening: Option<LogNews> = None;
    loop {
        while hub.batches.receiver_count() == 0 {
            hub.followed.notified().await;
        }
        let mut at = match head_position(&hub.database).await {
            Ok(at) => at,
            Err(_) if hub.database.is_closed() => return,
            Err(error) => {
                tracing::warn!(%error, "the change feed cannot read the head of the log; retrying");
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        {
            // Followers that subscribed while the hub was idle may have read the log before `at`: this empty
            // batch sends them to read it once more, after `at` is settled.
            let mut running = hub.running.lock().unwrap_or_else(PoisonError::into_inner);
            *running = Some(at);
            let _ = hub.batches.send(Arc::new(Batch { events: Vec::new() }));
        }
        let news = match listening.as_mut() {
            Some(news) => news,
            None => listening.insert(LogNews::listen(&hub.database, POLL).await),
        };
        loop {
            news.taken();
            let events = match read_log(&hub.database, at, HUB_BATCH).await {
                Ok(events) => events,
                Err(_) if hub.database.is_closed() => return,
                Err(error) => {
                    tracing::warn!(%error, "the change feed cannot read the log; retrying");
                    tokio::time::sleep(POLL).await;
                    continue;
                }
            };
            let full = events.len() as i64 == HUB_BATCH;
            {
                // Sent under the lock that followers subscribe under: a follower that sees the hub running
                // receives every batch after the position it saw.
                let mut running = hub.running.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(last) = events.last() {
                    at = last.position;
                    let events = events.into_iter().map(Followed::new).collect();
                    let _ = hub.batches.send(Arc::new(Batch { events }));
                    *running = Some(at);
                }
                if hub.batches.receiver_count() == 0 {
                    *running = None;
                    // Idle until the next follower: the listening connection goes back to the pool (a server
                    // that shuts down meanwhile closes the pool, which waits for every connection taken).
                    listening = None;
                    break;
                }
            }
            if !full {
                news.wait().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends one event as a writer outside the request path would (no read model reads `Elsewhere`), and
    /// announces it as the server's writer does.
    async fn append(database: &Database, uid: &str, id: &str) {
        let _turn = database.writer_turn().await;
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload,
                                 metadata)
             VALUES ('Elsewhere', $1, 1, 'Happened', '1.0', '{\"Happened\":{}}', $2)",
        )
        .bind(id)
        .bind(format!(r#"{{"uid":"{uid}","actor":"system","correlation_id":"t"}}"#))
        .execute(database.pool())
        .await
        .unwrap();
        database.announce_append();
    }

    fn ids(events: &[Arc<Followed>]) -> Vec<&str> {
        events
            .iter()
            .map(|e| e.event.aggregate_id.as_str())
            .collect()
    }

    #[tokio::test]
    async fn a_follower_that_fell_behind_the_buffer_reads_the_log_and_skips_nothing() {
        let dir = std::env::temp_dir().join(format!(
            "omi-api-follow-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ));
        let database = Database::open(None, &dir, 4).await.unwrap();
        let hub = ChangeHub::buffering(database.clone(), 2, 1);
        append(&database, "ann", "a0").await;
        let mut follow = hub.follow(Some("ann"), LogPosition::START).unwrap();
        let mut seen = vec![follow.next().await.unwrap()];
        let second = hub.follow(None, LogPosition::START);
        assert!(second.is_some(), "a second slot");
        assert!(hub.follow(None, LogPosition::START).is_none(), "no third");
        drop(second);
        // Five batches while the follower is not reading: it falls behind a buffer of one.
        for n in 1..=5 {
            append(&database, "bob", &format!("b{n}")).await;
            append(&database, "ann", &format!("a{n}")).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        while seen.len() < 6 {
            let next = tokio::time::timeout(Duration::from_secs(5), follow.next())
                .await
                .expect("an event within 5 s")
                .unwrap();
            seen.push(next);
        }
        assert_eq!(ids(&seen), ["a0", "a1", "a2", "a3", "a4", "a5"]);
        append(&database, "ann", "a6").await;
        let live = tokio::time::timeout(Duration::from_secs(5), follow.next())
            .await
            .expect("a live event within 5 s")
            .unwrap();
        assert_eq!(live.event.aggregate_id, "a6");
        assert!(
            tokio::time::timeout(Duration::from_millis(700), follow.next())
                .await
                .is_err(),
            "nothing is repeated"
        );
        database.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
