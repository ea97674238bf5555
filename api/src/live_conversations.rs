//! The conversations that listen sessions of this process are writing into, so that the sweep leaves them
//! alone however long they are silent (a client may ask for a four-hour timeout). Part of the server's shared
//! state: `state` holds it and `listen` uses it through the state, so neither imports the other both ways.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A shared count of sessions per conversation id.
#[derive(Debug, Clone, Default)]
pub struct LiveConversations {
    sessions: Arc<Mutex<HashMap<String, usize>>>,
}

impl LiveConversations {
    /// A session started writing into `id`.
    pub fn enter(&self, id: &str) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        *sessions.entry(id.to_string()).or_default() += 1;
    }

    /// A session stopped writing into `id`.
    pub fn leave(&self, id: &str) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = sessions.get_mut(id) {
            *count -= 1;
            if *count == 0 {
                sessions.remove(id);
            }
        }
    }

    /// How many conversations sessions of this process write into.
    pub fn count(&self) -> usize {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Whether a session of this process writes into `id`.
    pub fn contains(&self, id: &str) -> bool {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conversation_is_live_while_any_session_writes_into_it() {
        let live = LiveConversations::default();
        live.enter("c");
        live.enter("c");
        live.leave("c");
        assert!(live.contains("c"));
        live.leave("c");
        assert!(!live.contains("c"));
        live.leave("c");
        assert!(!live.contains("c"));
    }
}
