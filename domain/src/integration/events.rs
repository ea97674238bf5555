//! What happened to an integration.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out (see [`crate::contract`]); the stored form of every event is pinned by a fixture
//! (`domain/tests/event_contracts.rs`).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Integration;
use crate::contract::stored_events;
use crate::Timestamp;

/// An event on an integration's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IntegrationEvent {
    #[serde(rename = "IntegrationConnected")]
    IntegrationConnected {
        uid: String,
        key: String,
        access_token: Option<String>,
        refresh_token: Option<String>,
        /// The OAuth state the connection consumed.
        state: Option<String>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        connected_at: Timestamp,
    },
    #[serde(rename = "IntegrationDisconnected")]
    IntegrationDisconnected {
        uid: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        disconnected_at: Timestamp,
    },
    /// Health metrics synced from a device; the integration is connected from now on.
    #[serde(rename = "HealthDataSynced")]
    HealthDataSynced {
        uid: String,
        key: String,
        data: Value,
        data_types: Vec<String>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        synced_at: Timestamp,
    },
}

stored_events! {
    events: IntegrationEvent,
    aggregate_type: Integration::TYPE,
    stored: {
        IntegrationConnected => ("IntegrationConnected", "1.0"),
        IntegrationDisconnected => ("IntegrationDisconnected", "1.0"),
        HealthDataSynced => ("HealthDataSynced", "1.0"),
    }
}
