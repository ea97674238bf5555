//! What happened to a user's developer webhooks.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out; the stored form of every event is pinned by a fixture (`domain/tests/event_contracts.rs`).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{DeveloperWebhooks, WebhookType};
use crate::contract::stored_events;
use crate::Timestamp;

/// An event on a user's developer-webhooks stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeveloperWebhooksEvent {
    /// The URL of `wtype` from now on; empty when the user turned it off with `""` or `","`.
    #[serde(rename = "DeveloperWebhookUrlSet")]
    DeveloperWebhookUrlSet {
        uid: String,
        wtype: WebhookType,
        url: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        set_at: Timestamp,
    },
    /// The `whsec_` secret deliveries to `wtype` are signed with from now on.
    #[serde(rename = "DeveloperWebhookSecretIssued")]
    DeveloperWebhookSecretIssued {
        uid: String,
        wtype: WebhookType,
        secret: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        issued_at: Timestamp,
    },
    /// Deliveries to `wtype` were turned on.
    #[serde(rename = "DeveloperWebhookEnabled")]
    DeveloperWebhookEnabled {
        uid: String,
        wtype: WebhookType,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        enabled_at: Timestamp,
    },
    /// Deliveries to `wtype` were turned off, by the user (no reason) or by the server (the reason).
    #[serde(rename = "DeveloperWebhookDisabled")]
    DeveloperWebhookDisabled {
        uid: String,
        wtype: WebhookType,
        reason: Option<String>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        disabled_at: Timestamp,
    },
}

stored_events! {
    events: DeveloperWebhooksEvent,
    aggregate_type: DeveloperWebhooks::TYPE,
    stored: {
        DeveloperWebhookUrlSet => ("DeveloperWebhookUrlSet", "1.0"),
        DeveloperWebhookSecretIssued => ("DeveloperWebhookSecretIssued", "1.0"),
        DeveloperWebhookEnabled => ("DeveloperWebhookEnabled", "1.0"),
        DeveloperWebhookDisabled => ("DeveloperWebhookDisabled", "1.0"),
    }
}
