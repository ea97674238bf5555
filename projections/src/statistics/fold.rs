//! The statistics of a user's log as it stood at an instant: the user's events (read by the caller up to that
//! instant) folded in memory with the read models' own rules (the statistics' tally of each conversation, the
//! `action_items` and `memories` views), then counted like the read models' rows.

use std::collections::HashMap;

use omi_domain::action_item::ActionItemEvent;

use super::counts::Contributions;
use super::projection::{evolve_conversation, select_conversation};
use super::tally::{action_item_days, memory_day, ConversationTally};
use crate::action_items::ActionItemView;
use crate::documents::Owned;
use crate::memories::MemoryView;
use crate::runtime::{RecordedEvent, StoredEvent};

/// The contributions of the entities in `events` (one user's events, in log order).
pub fn contributions_of(events: &[RecordedEvent]) -> Contributions {
    let mut conversations: HashMap<&str, Owned<ConversationTally>> = HashMap::new();
    let mut action_items: HashMap<&str, ActionItemView> = HashMap::new();
    let mut memories: HashMap<&str, MemoryView> = HashMap::new();
    for recorded in events {
        let id = recorded.aggregate_id.as_str();
        if let Some(event) = select_conversation(recorded) {
            step(&mut conversations, id, |row| {
                evolve_conversation(id, row, event)
            });
        } else if let StoredEvent::ActionItem(event) = &recorded.event {
            step(&mut action_items, id, |item| action_item(id, item, event));
        } else if let StoredEvent::Memory(event) = &recorded.event {
            step(&mut memories, id, |memory| {
                MemoryView::evolve(id, memory, event)
            });
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
            .map(|(_, item)| action_item_days(item))
            .collect(),
        memories: memories
            .iter()
            .map(|(_, memory)| memory_day(memory))
            .collect(),
    }
}

/// The action item's view after `event` (its owner is not needed: the events are one user's).
fn action_item(
    id: &str,
    item: Option<ActionItemView>,
    event: &ActionItemEvent,
) -> Option<ActionItemView> {
    let current = item.map(|view| (String::new(), view));
    ActionItemView::evolve(id, current, event).map(|(_, view)| view)
}

fn step<'a, D>(
    rows: &mut HashMap<&'a str, D>,
    id: &'a str,
    evolve: impl FnOnce(Option<D>) -> Option<D>,
) {
    let current = rows.remove(id);
    if let Some(next) = evolve(current) {
        rows.insert(id, next);
    }
}
