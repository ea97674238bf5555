//! What can be asked of a memory.

use serde::{Deserialize, Serialize};

use super::{MemoryCategory, Visibility};
use crate::conversation::Embedding;
use crate::Timestamp;

/// A command to one memory. Every command names the user asking, so that a memory of another user answers as
/// if it did not exist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MemoryCommand {
    /// Creates the memory; creating content that the user already holds changes nothing.
    CreateMemory {
        uid: String,
        content: String,
        category: MemoryCategory,
        visibility: Visibility,
        tags: Vec<String>,
        manually_added: bool,
        conversation_id: Option<String>,
        app_id: Option<String>,
        at: Timestamp,
    },
    /// Changes any of content, category, tags and visibility; unchanged fields are not recorded.
    EditMemory {
        uid: String,
        content: Option<String>,
        category: Option<MemoryCategory>,
        tags: Option<Vec<String>>,
        visibility: Option<Visibility>,
        at: Timestamp,
    },
    /// Records the user's verdict on an extracted memory.
    ReviewMemory {
        uid: String,
        value: bool,
        at: Timestamp,
    },
    /// Deletes the memory; its history stays in the log.
    DeleteMemory { uid: String, at: Timestamp },
    /// Records where the embeddings model `model` placed the memory's content, whose
    /// [`content_fingerprint`](super::content_fingerprint) is `text`. Nothing is recorded for a content the memory
    /// no longer has (the edit's own embedding follows) or one this model placed already.
    RecordEmbedding {
        uid: String,
        text: u64,
        model: String,
        vector: Embedding,
        at: Timestamp,
    },
}
