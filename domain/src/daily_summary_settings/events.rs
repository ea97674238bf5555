//! What happened to the settings.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out, so renaming a variant changes nothing stored. Changing a stored name or a payload's shape breaks
//! the logs already written unless it comes with a new version and an upcaster (see [`crate::contract`]); the
//! stored form of every event is pinned by a fixture (`domain/tests/event_contracts.rs`).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::DailySummarySettings;
use crate::contract::stored_events;
use crate::Timestamp;

/// An event on a user's settings stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DailySummarySettingsEvent {
    /// The settings as they are from now on (both fields, whichever changed).
    #[serde(rename = "DailySummarySettingsChanged")]
    DailySummarySettingsChanged {
        uid: String,
        enabled: bool,
        hour: u32,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        changed_at: Timestamp,
    },
}

stored_events! {
    events: DailySummarySettingsEvent,
    aggregate_type: DailySummarySettings::TYPE,
    stored: {
        DailySummarySettingsChanged => ("DailySummarySettingsChanged", "1.0"),
    }
}
