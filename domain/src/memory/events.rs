//! What happened to a memory.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out, so renaming a variant changes nothing stored. Changing a stored name or a payload's shape breaks
//! the logs already written unless it comes with a new version and an upcaster (see [`crate::contract`]); the
//! stored form of every event is pinned by a fixture (`domain/tests/event_contracts.rs`).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{Memory, MemoryCategory, Visibility};
use crate::contract::stored_events;
use crate::conversation::Embedding;
use crate::Timestamp;

/// An event on a memory's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MemoryEvent {
    /// The memory came into being (again, when its content was deleted and written anew).
    #[serde(rename = "MemoryCreated")]
    MemoryCreated {
        uid: String,
        content: String,
        category: MemoryCategory,
        visibility: Visibility,
        tags: Vec<String>,
        manually_added: bool,
        /// `reviewed` and `user_review` at creation: a memory typed by the user counts as reviewed.
        reviewed: bool,
        user_review: Option<bool>,
        conversation_id: Option<String>,
        app_id: Option<String>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        created_at: Timestamp,
    },
    /// Content, category or tags changed; only the changed fields are present.
    #[serde(rename = "MemoryEdited")]
    MemoryEdited {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<MemoryCategory>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tags: Option<Vec<String>>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        updated_at: Timestamp,
    },
    /// The user reviewed the memory.
    #[serde(rename = "MemoryReviewed")]
    MemoryReviewed {
        value: bool,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        reviewed_at: Timestamp,
    },
    /// The memory became public or private.
    #[serde(rename = "MemoryVisibilityChanged")]
    MemoryVisibilityChanged {
        visibility: Visibility,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        updated_at: Timestamp,
    },
    /// The embeddings model `model` placed the memory's content at `vector` (semantic search); not a change of
    /// the memory, which reads the same.
    #[serde(rename = "MemoryEmbedded")]
    MemoryEmbedded {
        model: String,
        vector: Embedding,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        embedded_at: Timestamp,
    },
    /// The memory was deleted.
    #[serde(rename = "MemoryDeleted")]
    MemoryDeleted {
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        deleted_at: Timestamp,
    },
}

stored_events! {
    events: MemoryEvent,
    aggregate_type: Memory::TYPE,
    stored: {
        MemoryCreated => ("MemoryCreated", "1.0"),
        MemoryEdited => ("MemoryEdited", "1.0"),
        MemoryReviewed => ("MemoryReviewed", "1.0"),
        MemoryVisibilityChanged => ("MemoryVisibilityChanged", "1.0"),
        MemoryEmbedded => ("MemoryEmbedded", "1.0"),
        MemoryDeleted => ("MemoryDeleted", "1.0"),
    }
}
