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
    /// An event of a known aggregate whose stored form does not decode (a bug, or data written by another
    /// version). Readers never fail on it: projections park it with the reason, reactions pass over it.
    Undecodable {
        aggregate_type: String,
        error: String,
    },
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
    /// The aggregate type it was stored under; `None` for [`StoredEvent::Other`] (no read model decodes it).
    pub fn aggregate_type(&self) -> Option<&str> {
        Some(match self {
            StoredEvent::Memory(_) => Memory::TYPE,
            StoredEvent::ActionItem(_) => ActionItem::TYPE,
            StoredEvent::Conversation(_) => Conversation::TYPE,
            StoredEvent::Capture(_) => Capture::TYPE,
            StoredEvent::ApiKey(_) => ApiKey::TYPE,
            StoredEvent::Undecodable { aggregate_type, .. } => aggregate_type,
            StoredEvent::Other => return None,
        })
    }

    /// Decodes a payload by its aggregate type, and an event that does not decode as [`StoredEvent::Undecodable`].
    pub fn decode_or_mark(aggregate_type: &str, payload: &str) -> Self {
        Self::decode(aggregate_type, payload).unwrap_or_else(|error| StoredEvent::Undecodable {
            aggregate_type: aggregate_type.to_string(),
            error: format!("the stored {aggregate_type} event does not decode: {error}"),
        })
    }

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
