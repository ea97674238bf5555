//! What happened to a person.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out (see [`crate::contract`]); the stored form of every event is pinned by a fixture
//! (`domain/tests/event_contracts.rs`).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::Person;
use crate::contract::stored_events;
use crate::Timestamp;

/// An event on a person's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PersonEvent {
    /// The person exists from now on (again, after a deletion).
    #[serde(rename = "PersonCreated")]
    PersonCreated {
        uid: String,
        name: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        created_at: Timestamp,
    },
    #[serde(rename = "PersonRenamed")]
    PersonRenamed {
        uid: String,
        name: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        renamed_at: Timestamp,
    },
    #[serde(rename = "PersonDeleted")]
    PersonDeleted {
        uid: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        deleted_at: Timestamp,
    },
}

stored_events! {
    events: PersonEvent,
    aggregate_type: Person::TYPE,
    stored: {
        PersonCreated => ("PersonCreated", "1.0"),
        PersonRenamed => ("PersonRenamed", "1.0"),
        PersonDeleted => ("PersonDeleted", "1.0"),
    }
}
