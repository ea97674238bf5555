//! A user's people as their log names them at an instant, for what is computed from that log (a year's recap).

use std::collections::HashMap;

use omi_domain::person::PersonEvent;

use crate::runtime::{RecordedEvent, StoredEvent};

/// The last name each person of `events` (one user's events, in log order) was given, people deleted since
/// included: what a recap of those events calls the people its conversations name by id.
pub fn names_of(events: &[RecordedEvent]) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for recorded in events {
        let StoredEvent::Person(event) = &recorded.event else {
            continue;
        };
        match event {
            PersonEvent::PersonCreated { name, .. } | PersonEvent::PersonRenamed { name, .. } => {
                names.insert(recorded.aggregate_id.clone(), name.clone());
            }
            PersonEvent::PersonDeleted { .. } => {}
        }
    }
    names
}
