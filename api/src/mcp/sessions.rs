//! The MCP sessions of this process: Streamable HTTP sessions (an id handed out by `initialize`, owned by the
//! user whose key initialized it) and legacy HTTP+SSE sessions (an open event stream that the answers to the
//! POSTed messages go to).
//!
//! Sessions live in memory: a restart, or another server process on the same PostgreSQL database, does not
//! know them, and answers 404 for them as the MCP spec says for ended sessions (clients then initialize again).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

/// Streamable HTTP sessions unused for this long are forgotten.
const IDLE: Duration = Duration::from_secs(24 * 60 * 60);
/// The most Streamable HTTP sessions kept; past that the least recently used go first.
const MAX_SESSIONS: usize = 10_000;
/// How many answers may wait for a slow legacy event stream.
const LEGACY_BACKLOG: usize = 64;

/// Whether a session id may be used by a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Granted,
    Unknown,
    /// The session belongs to another user.
    Foreign,
}

struct Owned {
    uid: String,
    last_used: Instant,
}

struct Legacy {
    uid: String,
    sender: mpsc::Sender<String>,
}

#[derive(Default)]
struct Inner {
    streamable: HashMap<String, Owned>,
    legacy: HashMap<String, Legacy>,
}

/// The registry; cheap to clone.
#[derive(Clone, Default)]
pub struct Sessions {
    inner: Arc<Mutex<Inner>>,
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Sessions {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new Streamable HTTP session for `uid`.
    pub fn open(&self, uid: &str) -> String {
        let id = new_id();
        let mut inner = self.lock();
        let now = Instant::now();
        inner
            .streamable
            .retain(|_, session| now.duration_since(session.last_used) < IDLE);
        while inner.streamable.len() >= MAX_SESSIONS {
            let oldest = inner
                .streamable
                .iter()
                .min_by_key(|(_, session)| session.last_used)
                .map(|(id, _)| id.clone());
            match oldest {
                Some(oldest) => inner.streamable.remove(&oldest),
                None => break,
            };
        }
        inner.streamable.insert(
            id.clone(),
            Owned {
                uid: uid.to_string(),
                last_used: now,
            },
        );
        id
    }

    /// Whether `uid` may use Streamable HTTP session `id` (marks it used when so).
    pub fn access(&self, id: &str, uid: &str) -> Access {
        let mut inner = self.lock();
        match inner.streamable.get_mut(id) {
            None => Access::Unknown,
            Some(session) if session.uid != uid => Access::Foreign,
            Some(session) => {
                session.last_used = Instant::now();
                Access::Granted
            }
        }
    }

    /// Ends Streamable HTTP session `id` if `uid` owns it.
    pub fn close(&self, id: &str, uid: &str) -> Access {
        let mut inner = self.lock();
        let access = match inner.streamable.get(id) {
            None => Access::Unknown,
            Some(session) if session.uid != uid => Access::Foreign,
            Some(_) => Access::Granted,
        };
        if access == Access::Granted {
            inner.streamable.remove(id);
        }
        access
    }

    /// Whether Streamable HTTP session `id` still exists.
    pub fn exists(&self, id: &str) -> bool {
        self.lock().streamable.contains_key(id)
    }

    /// A new legacy session for `uid`: its id and the receiving end of its event stream. The session lasts
    /// until [`Sessions::end_legacy`].
    pub fn open_legacy(&self, uid: &str) -> (String, mpsc::Receiver<String>) {
        let (sender, receiver) = mpsc::channel(LEGACY_BACKLOG);
        let id = new_id();
        self.lock().legacy.insert(
            id.clone(),
            Legacy {
                uid: uid.to_string(),
                sender,
            },
        );
        (id, receiver)
    }

    /// The event stream of legacy session `id`, if `uid` may post to it.
    pub fn legacy(&self, id: &str, uid: &str) -> Result<mpsc::Sender<String>, Access> {
        match self.lock().legacy.get(id) {
            None => Err(Access::Unknown),
            Some(session) if session.uid != uid => Err(Access::Foreign),
            Some(session) => Ok(session.sender.clone()),
        }
    }

    /// Forgets legacy session `id` (its stream closed).
    pub fn end_legacy(&self, id: &str) {
        self.lock().legacy.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_belongs_to_the_user_who_opened_it() {
        let sessions = Sessions::default();
        let id = sessions.open("alice");
        assert_eq!(sessions.access(&id, "alice"), Access::Granted);
        assert_eq!(sessions.access(&id, "bob"), Access::Foreign);
        assert_eq!(sessions.access("nope", "alice"), Access::Unknown);
        assert_eq!(sessions.close(&id, "bob"), Access::Foreign);
        assert_eq!(sessions.close(&id, "alice"), Access::Granted);
        assert_eq!(sessions.close(&id, "alice"), Access::Unknown);
    }

    #[test]
    fn a_legacy_session_lasts_while_its_stream_does() {
        let sessions = Sessions::default();
        let (id, _receiver) = sessions.open_legacy("alice");
        assert!(sessions.legacy(&id, "alice").is_ok());
        assert_eq!(sessions.legacy(&id, "bob").err(), Some(Access::Foreign));
        sessions.end_legacy(&id);
        assert_eq!(sessions.legacy(&id, "alice").err(), Some(Access::Unknown));
    }
}
