//! What can be asked of a user's folders. Every command but `EnsureSystemFolders` first creates the system
//! folders when the user has none yet, in the same append.

use serde::{Deserialize, Serialize};

use crate::{Patch, Timestamp};

/// A command to one user's folders; the stream id is [`super::folders_stream_id`] of the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FoldersCommand {
    /// Creates the ten system folders unless the user has them; records nothing when they exist.
    EnsureSystemFolders { uid: String, at: Timestamp },
    /// Creates a custom folder at the end of the order; refused beyond fifty custom folders. The name is
    /// trimmed and 1-100 characters, the description at most 500, the color `#RRGGBB` (checked by the caller).
    CreateFolder {
        uid: String,
        folder_id: String,
        name: String,
        description: Option<String>,
        color: String,
        icon: String,
        at: Timestamp,
    },
    /// Changes what is given of a folder (system folders included) and keeps the rest.
    UpdateFolder {
        uid: String,
        folder_id: String,
        changes: FolderChanges,
        at: Timestamp,
    },
    /// Puts the listed folders first, in the listed order (`order` = place in the list), and the others after
    /// them in their current order. Every id must be one of the user's folders, each listed once.
    ReorderFolders {
        uid: String,
        folder_ids: Vec<String>,
        at: Timestamp,
    },
    /// Deletes a custom folder; its conversations go to `move_to_folder_id` (another of the user's folders) or,
    /// without one, to the default folder. System folders cannot be deleted.
    DeleteFolder {
        uid: String,
        folder_id: String,
        move_to_folder_id: Option<String>,
        at: Timestamp,
    },
}

/// The fields of a folder an update may change; absent ones stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FolderChanges {
    pub name: Option<String>,
    /// `Clear` removes the description.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub description: Patch<String>,
    pub color: Option<String>,
    pub icon: Option<String>,
    pub order: Option<i64>,
}
