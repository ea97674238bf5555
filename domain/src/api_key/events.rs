//! What happened to a key.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out, so renaming a variant changes nothing stored. Changing a stored name or a payload's shape breaks
//! the logs already written unless it comes with a new version and an upcaster (see [`crate::contract`]); the
//! stored form of every event is pinned by a fixture (`domain/tests/event_contracts.rs`).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{ApiKey, KeyFamily, Scope};
use crate::contract::stored_events;
use crate::Timestamp;

/// An event on a key's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ApiKeyEvent {
    #[serde(rename = "ApiKeyCreated")]
    ApiKeyCreated {
        uid: String,
        family: KeyFamily,
        name: String,
        scopes: Vec<Scope>,
        hashed_key: String,
        display_prefix: String,
        created_at: Timestamp,
    },
    #[serde(rename = "ApiKeyUsed")]
    ApiKeyUsed { used_at: Timestamp },
    #[serde(rename = "ApiKeyRevoked")]
    ApiKeyRevoked { revoked_at: Timestamp },
}

stored_events! {
    events: ApiKeyEvent,
    aggregate_type: ApiKey::TYPE,
    stored: {
        ApiKeyCreated => ("ApiKeyCreated", "1.0"),
        ApiKeyUsed => ("ApiKeyUsed", "1.0"),
        ApiKeyRevoked => ("ApiKeyRevoked", "1.0"),
    }
}
