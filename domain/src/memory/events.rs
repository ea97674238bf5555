//! What happened to a memory. Stored names and versions are stable: renaming a variant never breaks the log.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{MemoryCategory, Visibility};
use crate::Timestamp;

/// An event on a memory's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MemoryEvent {
    /// The memory came into being (again, when its content was deleted and written anew).
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
    MemoryReviewed {
        value: bool,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        reviewed_at: Timestamp,
    },
    /// The memory became public or private.
    MemoryVisibilityChanged {
        visibility: Visibility,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        updated_at: Timestamp,
    },
    /// The memory was deleted.
    MemoryDeleted {
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        deleted_at: Timestamp,
    },
}

impl DomainEvent for MemoryEvent {
    fn event_type(&self) -> String {
        match self {
            Self::MemoryCreated { .. } => "MemoryCreated",
            Self::MemoryEdited { .. } => "MemoryEdited",
            Self::MemoryReviewed { .. } => "MemoryReviewed",
            Self::MemoryVisibilityChanged { .. } => "MemoryVisibilityChanged",
            Self::MemoryDeleted { .. } => "MemoryDeleted",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
