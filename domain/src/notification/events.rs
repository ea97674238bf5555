//! What happened to a notification.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out (see [`crate::contract`]); the stored form of every event is pinned by a fixture
//! (`domain/tests/event_contracts.rs`).

use std::collections::BTreeMap;

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{Notification, NotificationSource, PushOutcome};
use crate::contract::stored_events;
use crate::Timestamp;

/// An event on a notification's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NotificationEvent {
    /// The notification exists and is readable by its user from now on.
    #[serde(rename = "NotificationCreated")]
    NotificationCreated {
        uid: String,
        title: String,
        body: String,
        data: BTreeMap<String, String>,
        source: NotificationSource,
        app_id: Option<String>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        created_at: Timestamp,
    },
    /// The notification was pushed to the user's devices (an empty list: the user had none).
    #[serde(rename = "NotificationPushed")]
    NotificationPushed {
        uid: String,
        outcomes: Vec<PushOutcome>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        pushed_at: Timestamp,
    },
}

stored_events! {
    events: NotificationEvent,
    aggregate_type: Notification::TYPE,
    stored: {
        NotificationCreated => ("NotificationCreated", "1.0"),
        NotificationPushed => ("NotificationPushed", "1.0"),
    }
}
