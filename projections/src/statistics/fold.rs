//! The statistics of a user's log as it stood at an instant: the user's events (read by the caller up to that
//! instant) folded in memory with the projections' own rules, then counted like the read models' rows.

use std::collections::HashMap;

use super::counts::Contributions;
use super::projection::{
    evolve_action_item, evolve_conversation, evolve_memory, select_action_item,
    select_conversation, select_memory,
};
use super::tally::{ActionItemTally, ConversationTally, MemoryTally};
use crate::documents::Owned;
use crate::runtime::RecordedEvent;

/// The contributions of the entities in `events` (one user's events, in log order).
pub fn contributions_of(events: &[RecordedEvent]) -> Contributions {
    let mut conversations: HashMap<&str, Owned<ConversationTally>> = HashMap::new();
    let mut action_items: HashMap<&str, Owned<ActionItemTally>> = HashMap::new();
    let mut memories: HashMap<&str, Owned<MemoryTally>> = HashMap::new();
    for recorded in events {
        let id = recorded.aggregate_id.as_str();
        if let Some(event) = select_conversation(recorded) {
            step(&mut conversations, id, |row| {
                evolve_conversation(id, row, event)
            });
        } else if let Some(event) = select_action_item(recorded) {
            step(&mut action_items, id, |row| {
                evolve_action_item(id, row, event)
            });
        } else if let Some(event) = select_memory(recorded) {
            step(&mut memories, id, |row| evolve_memory(id, row, event));
        }
    }
    // Sorted by id: the order in which equal contributions are counted never depends on hashing.
    let mut conversations: Vec<_> = conversations.into_iter().collect();
    conversations.sort_by(|a, b| a.0.cmp(b.0));
    let mut action_items: Vec<_> = action_items.into_iter().collect();
    action_items.sort_by(|a, b| a.0.cmp(b.0));
    let mut memories: Vec<_> = memories.into_iter().collect();
    memories.sort_by(|a, b| a.0.cmp(b.0));
    Contributions {
        conversations: conversations
            .iter()
            .map(|(_, row)| row.doc.contribution())
            .collect(),
        action_items: action_items
            .iter()
            .map(|(_, row)| (row.doc.created_day, row.doc.completed_day))
            .collect(),
        memories: memories.iter().map(|(_, row)| row.doc.day).collect(),
    }
}

fn step<'a, D>(
    rows: &mut HashMap<&'a str, Owned<D>>,
    id: &'a str,
    evolve: impl FnOnce(Option<Owned<D>>) -> Option<Owned<D>>,
) {
    let current = rows.remove(id);
    if let Some(next) = evolve(current) {
        rows.insert(id, next);
    }
}
