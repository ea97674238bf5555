//! What happened to an action item.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out, so renaming a variant changes nothing stored. Changing a stored name or a payload's shape breaks
//! the logs already written unless it comes with a new version and an upcaster (see [`crate::contract`]); the
//! stored form of every event is pinned by a fixture (`domain/tests/event_contracts.rs`).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::ActionItem;
use crate::contract::stored_events;
use crate::{Patch, Timestamp};

/// An event on an action item's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ActionItemEvent {
    /// The item came into being.
    #[serde(rename = "ActionItemCreated")]
    ActionItemCreated {
        uid: String,
        description: String,
        completed: bool,
        /// Set to the creation time when the item was created completed, so readers need not derive it.
        completed_at: Option<Timestamp>,
        due_at: Option<Timestamp>,
        conversation_id: Option<String>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        created_at: Timestamp,
    },
    /// Description, due date or export state changed; only the changed fields are present, and a cleared
    /// optional field is recorded as an explicit `null` so that it differs from one left alone.
    #[serde(rename = "ActionItemUpdated")]
    ActionItemUpdated {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        #[serde(default, skip_serializing_if = "Patch::is_keep")]
        due_at: Patch<Timestamp>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exported: Option<bool>,
        #[serde(default, skip_serializing_if = "Patch::is_keep")]
        export_date: Patch<Timestamp>,
        #[serde(default, skip_serializing_if = "Patch::is_keep")]
        export_platform: Patch<String>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        updated_at: Timestamp,
    },
    /// The item was marked done; readers stamp `completed_at` from it.
    #[serde(rename = "ActionItemCompleted")]
    ActionItemCompleted {
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        completed_at: Timestamp,
    },
    /// A done item was marked not done again; readers clear `completed_at`.
    #[serde(rename = "ActionItemReopened")]
    ActionItemReopened {
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        reopened_at: Timestamp,
    },
    /// The item was deleted.
    #[serde(rename = "ActionItemDeleted")]
    ActionItemDeleted {
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        deleted_at: Timestamp,
    },
}

stored_events! {
    events: ActionItemEvent,
    aggregate_type: ActionItem::TYPE,
    stored: {
        ActionItemCreated => ("ActionItemCreated", "1.0"),
        ActionItemUpdated => ("ActionItemUpdated", "1.0"),
        ActionItemCompleted => ("ActionItemCompleted", "1.0"),
        ActionItemReopened => ("ActionItemReopened", "1.0"),
        ActionItemDeleted => ("ActionItemDeleted", "1.0"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn updated(due_at: Patch<Timestamp>) -> ActionItemEvent {
        ActionItemEvent::ActionItemUpdated {
            description: None,
            due_at,
            exported: None,
            export_date: Patch::Keep,
            export_platform: Patch::Keep,
            updated_at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
        }
    }

    #[test]
    fn a_cleared_due_date_is_stored_as_null_and_a_kept_one_is_omitted() {
        let cleared = serde_json::to_string(&updated(Patch::Clear)).unwrap();
        let kept = serde_json::to_string(&updated(Patch::Keep)).unwrap();
        assert!(cleared.contains(r#""due_at":null"#), "{cleared}");
        assert!(!kept.contains("due_at"), "{kept}");
        assert_eq!(
            serde_json::from_str::<ActionItemEvent>(&cleared).unwrap(),
            updated(Patch::Clear)
        );
        assert_eq!(
            serde_json::from_str::<ActionItemEvent>(&kept).unwrap(),
            updated(Patch::Keep)
        );
    }
}
