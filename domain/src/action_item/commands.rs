//! What can be asked of an action item.

use serde::{Deserialize, Serialize};

use crate::{Patch, Timestamp};

/// A command to one action item: each names what happens (completing and reopening are commands of their own,
/// since they drive `completed_at`). Every command names the user asking, so that an item of another user answers
/// as if it did not exist; the item's id is the stream id, chosen by the caller, so no command carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ActionItemCommand {
    /// Creates the item; an item created already completed is stamped as completed at creation.
    CreateActionItem {
        uid: String,
        description: String,
        completed: bool,
        due_at: Option<Timestamp>,
        /// `None` for items the user typed in by hand.
        conversation_id: Option<String>,
        at: Timestamp,
    },
    /// Changes any of the editable fields; the patches distinguish "leave alone" from an explicit `null` that
    /// clears, as `PATCH /v1/action-items/{id}` does. Unchanged fields are not recorded.
    EditActionItem {
        uid: String,
        description: Option<String>,
        due_at: Patch<Timestamp>,
        exported: Option<bool>,
        export_date: Patch<Timestamp>,
        export_platform: Patch<String>,
        at: Timestamp,
    },
    /// Marks the item done (stamps `completed_at`); an item already done stays as it is.
    CompleteActionItem { uid: String, at: Timestamp },
    /// Marks a done item as not done again (clears `completed_at`); an open item stays as it is.
    ReopenActionItem { uid: String, at: Timestamp },
    /// Deletes the item; its history stays in the log.
    DeleteActionItem { uid: String, at: Timestamp },
}
