//! What happened to a user's folders.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out, so renaming a variant changes nothing stored. Changing a stored name or a payload's shape breaks
//! the logs already written unless it comes with a new version and an upcaster (see [`crate::contract`]); the
//! stored form of every event is pinned by a fixture (`domain/tests/event_contracts.rs`).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{Folder, Folders};
use crate::contract::stored_events;
use crate::Timestamp;

/// An event on a user's folders stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FoldersEvent {
    /// The ten system folders, as created.
    #[serde(rename = "SystemFoldersCreated")]
    SystemFoldersCreated { uid: String, folders: Vec<Folder> },
    /// A custom folder, as created.
    #[serde(rename = "FolderCreated")]
    FolderCreated { uid: String, folder: Folder },
    /// A folder as it is after an update.
    #[serde(rename = "FolderUpdated")]
    FolderUpdated { uid: String, folder: Folder },
    /// Every folder of the user, in its new order (`order` = place in this list).
    #[serde(rename = "FoldersReordered")]
    FoldersReordered {
        uid: String,
        folder_ids: Vec<String>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        at: Timestamp,
    },
    /// A custom folder was deleted; its conversations go to `moved_to`.
    #[serde(rename = "FolderDeleted")]
    FolderDeleted {
        uid: String,
        folder_id: String,
        moved_to: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        at: Timestamp,
    },
}

stored_events! {
    events: FoldersEvent,
    aggregate_type: Folders::TYPE,
    stored: {
        SystemFoldersCreated => ("SystemFoldersCreated", "1.0"),
        FolderCreated => ("FolderCreated", "1.0"),
        FolderUpdated => ("FolderUpdated", "1.0"),
        FoldersReordered => ("FoldersReordered", "1.0"),
        FolderDeleted => ("FolderDeleted", "1.0"),
    }
}
