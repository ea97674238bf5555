//! What happened to a device.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out (see [`crate::contract`]); the stored form of every event is pinned by a fixture
//! (`domain/tests/event_contracts.rs`).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::Device;
use crate::contract::stored_events;
use crate::Timestamp;

/// An event on a device's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeviceEvent {
    /// The device receives pushes at `token` from now on.
    #[serde(rename = "DeviceTokenRegistered")]
    DeviceTokenRegistered {
        uid: String,
        device_key: String,
        token: String,
        time_zone: Option<String>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        registered_at: Timestamp,
    },
    /// The push service refused `token` for good; the device receives nothing until it registers again.
    #[serde(rename = "DeviceTokenDropped")]
    DeviceTokenDropped {
        uid: String,
        token: String,
        reason: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        dropped_at: Timestamp,
    },
}

stored_events! {
    events: DeviceEvent,
    aggregate_type: Device::TYPE,
    stored: {
        DeviceTokenRegistered => ("DeviceTokenRegistered", "1.0"),
        DeviceTokenDropped => ("DeviceTokenDropped", "1.0"),
    }
}
