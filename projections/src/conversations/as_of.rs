//! The conversations of a user's log as it stood at an instant: the user's events (read by the caller up to that
//! instant) folded in memory with the read model's own rules.

use std::collections::HashMap;

use super::view::ConversationRow;
use super::ConversationView;
use crate::runtime::{RecordedEvent, StoredEvent};

/// The live conversations folded from `events` (one user's events, in log order), oldest first (by
/// `created_at`, then id).
pub fn conversations_of(events: &[RecordedEvent]) -> Vec<ConversationView> {
    let mut rows: HashMap<&str, (String, ConversationRow)> = HashMap::new();
    for recorded in events {
        let StoredEvent::Conversation(event) = &recorded.event else {
            continue;
        };
        let id = recorded.aggregate_id.as_str();
        let current = rows.remove(id);
        if let Some(next) = ConversationRow::evolve(id, current, event, recorded.recorded_at) {
            rows.insert(id, next);
        }
    }
    let mut views: Vec<ConversationView> = rows.into_values().map(|(_, row)| row.view).collect();
    views.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    views
}
