//! An event as read back from the log, decoded once for all projections.

use crate::LogPosition;
use cqrs_es::Aggregate;
use omi_domain::action_item::{ActionItem, ActionItemEvent};
use omi_domain::api_key::{ApiKey, ApiKeyEvent};
use omi_domain::capture::{Capture, CaptureEvent};
use omi_domain::conversation::{Conversation, ConversationEvent};
use omi_domain::memory::{Memory, MemoryEvent};
use omi_domain::Timestamp;
use serde::Deserialize;

/// A domain event of any aggregate, decoded from its stored payload.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredEvent {
    Memory(MemoryEvent),
    ActionItem(ActionItemEvent),
    Conversation(ConversationEvent),
    Capture(CaptureEvent),
    ApiKey(ApiKeyEvent),
    /// An aggregate no projection reads; kept so that positions still advance.
    Other,
}

/// The metadata every event carries (see the write side's `Metadata`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct EventMetadata {
    #[serde(default)]
    pub uid: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub correlation_id: String,
    #[serde(default)]
    pub causation_id: Option<String>,
}

/// One event read from the log, with its place in commit order.
#[derive(Debug, Clone)]
pub struct RecordedEvent {
    pub position: LogPosition,
    pub aggregate_id: String,
    pub sequence: i64,
    pub recorded_at: Timestamp,
    pub metadata: EventMetadata,
    pub event: StoredEvent,
}

impl StoredEvent {
    /// Decodes a payload by its aggregate type. An unknown type is `Other`; a known type whose payload does
    /// not decode is an error, since skipping it would silently corrupt the read models.
    pub fn decode(aggregate_type: &str, payload: &str) -> Result<Self, serde_json::Error> {
        Ok(match aggregate_type {
            Memory::TYPE => StoredEvent::Memory(serde_json::from_str(payload)?),
            ActionItem::TYPE => StoredEvent::ActionItem(serde_json::from_str(payload)?),
            Conversation::TYPE => StoredEvent::Conversation(serde_json::from_str(payload)?),
            Capture::TYPE => StoredEvent::Capture(serde_json::from_str(payload)?),
            ApiKey::TYPE => StoredEvent::ApiKey(serde_json::from_str(payload)?),
            _ => StoredEvent::Other,
        })
    }
}
