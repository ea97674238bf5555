//! What happened to a delivery.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out; the stored form of every event is pinned by a fixture (`domain/tests/event_contracts.rs`).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{Delivery, WebhookDelivery};
use crate::contract::stored_events;
use crate::Timestamp;

/// An event on a delivery's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WebhookDeliveryEvent {
    /// The delivery exists and is due at once.
    #[serde(rename = "DeliveryScheduled")]
    DeliveryScheduled {
        delivery: Delivery,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        scheduled_at: Timestamp,
    },
    /// Attempt `attempt` failed (a status other than 2xx, or `error`); the next is due at `next_attempt_at`.
    #[serde(rename = "DeliveryAttemptFailed")]
    DeliveryAttemptFailed {
        attempt: u32,
        status_code: Option<u16>,
        error: Option<String>,
        duration_ms: u64,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        attempted_at: Timestamp,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        next_attempt_at: Timestamp,
    },
    /// Attempt `attempt` was answered with 2xx; `message` is what the receiver said, if anything.
    #[serde(rename = "DeliveryDelivered")]
    DeliveryDelivered {
        attempt: u32,
        status_code: u16,
        message: Option<String>,
        duration_ms: u64,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        attempted_at: Timestamp,
    },
    /// Retrying stopped (the endpoint failed too long, or was turned off or removed).
    #[serde(rename = "DeliveryAbandoned")]
    DeliveryAbandoned {
        reason: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        abandoned_at: Timestamp,
    },
    /// The owner asked for the delivery again; it is due at once.
    #[serde(rename = "DeliveryRedeliveryRequested")]
    DeliveryRedeliveryRequested {
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        requested_at: Timestamp,
    },
}

stored_events! {
    events: WebhookDeliveryEvent,
    aggregate_type: WebhookDelivery::TYPE,
    stored: {
        DeliveryScheduled => ("DeliveryScheduled", "1.0"),
        DeliveryAttemptFailed => ("DeliveryAttemptFailed", "1.0"),
        DeliveryDelivered => ("DeliveryDelivered", "1.0"),
        DeliveryAbandoned => ("DeliveryAbandoned", "1.0"),
        DeliveryRedeliveryRequested => ("DeliveryRedeliveryRequested", "1.0"),
    }
}
