//! What can be asked of a conversation.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    AppResult, ConversationSource, ConversationVisibility, Embedding, ExtractedMemory, Geolocation,
    Structured, TranscriptSegment,
};
use crate::trend::TrendMention;
use crate::Timestamp;

/// A command to one conversation. Commands from users name the user; a conversation of another user answers as
/// if it did not exist. Commands of the processing pipeline name the run they belong to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ConversationCommand {
    /// Opens the `in_progress` stub of a live capture.
    StartConversation {
        uid: String,
        source: ConversationSource,
        language: String,
        at: Timestamp,
    },
    /// Creates a finished conversation from segments or text (imports, developer API) and asks for processing.
    ImportConversation {
        uid: String,
        source: ConversationSource,
        language: String,
        started_at: Timestamp,
        finished_at: Timestamp,
        segments: Vec<TranscriptSegment>,
        geolocation: Option<Geolocation>,
        /// For text imports: the original create payload (`text`, `text_source`, ...).
        external_data: Option<Value>,
        at: Timestamp,
    },
    /// Adds live segments to an `in_progress` conversation (merged per spec §2.4). `speech_began` becomes the
    /// conversation's `started_at` when these are its first segments; `at` becomes its `finished_at`.
    AppendSegments {
        uid: String,
        segments: Vec<TranscriptSegment>,
        speech_began: Timestamp,
        at: Timestamp,
    },
    /// Records that a chunk of the live capture's audio is in the audio spool (only while the conversation is
    /// `in_progress`).
    RecordAudioChunk {
        uid: String,
        chunk_id: String,
        sample_rate: u32,
        duration_ms: u64,
        at: Timestamp,
    },
    /// Closes an `in_progress` conversation and hands it to processing (an empty one is deleted instead).
    RequestProcessing {
        uid: String,
        force: bool,
        at: Timestamp,
    },
    /// Processes a finished conversation again, optionally in another language.
    Reprocess {
        uid: String,
        language: Option<String>,
        at: Timestamp,
    },
    /// Records the result of processing run `run`; a result of an older run is ignored.
    CompleteProcessing {
        run: u32,
        structured: Structured,
        discarded: bool,
        memories: Vec<ExtractedMemory>,
        /// The trend mentions the run found; only whitelisted ones are recorded.
        trends: Vec<TrendMention>,
        /// The result's action items and memories are in the standalone lists already.
        published: bool,
        /// The folder a kept conversation that is in no folder yet goes to (the folder of its category); `None`
        /// leaves its folder alone (a reprocess, or a result recorded by an earlier version).
        folder_id: Option<String>,
        at: Timestamp,
    },
    /// Records what the summarization apps made of processing run `run`; nothing is recorded for an older run
    /// or a conversation that is no longer completed and kept.
    RecordAppResults {
        uid: String,
        run: u32,
        results: Vec<AppResult>,
        suggested_apps: Vec<String>,
        at: Timestamp,
    },
    /// Records where the embeddings model `model` placed the conversation's text, read when it was processing
    /// run `run` (`None`: whatever run is current) and whose [`text_fingerprint`](super::text_fingerprint) is
    /// `text`. Nothing is recorded for an older run, a conversation that is not completed, a text that has changed
    /// since (the change's own embedding follows), or a text this model placed already.
    RecordEmbedding {
        uid: String,
        run: Option<u32>,
        text: u64,
        model: String,
        vector: Embedding,
        at: Timestamp,
    },
    /// Records that processing run `run` failed.
    FailProcessing {
        run: u32,
        reason: String,
        at: Timestamp,
    },
    EditTitle {
        uid: String,
        title: String,
        at: Timestamp,
    },
    EditOverview {
        uid: String,
        overview: String,
        at: Timestamp,
    },
    EditSegmentText {
        uid: String,
        segment_id: String,
        text: String,
        at: Timestamp,
    },
    /// Marks segments as spoken by the user (`is_user`) or by a person (`person_id`), or neither.
    AssignSegments {
        uid: String,
        segment_ids: Vec<String>,
        is_user: bool,
        person_id: Option<String>,
        at: Timestamp,
    },
    /// Sets `created` of events by index; out-of-range indices are ignored.
    SetEventsCreated {
        uid: String,
        indices: Vec<usize>,
        values: Vec<bool>,
        at: Timestamp,
    },
    /// Sets `completed` of embedded action items by index; out-of-range indices are ignored.
    SetActionItemsCompleted {
        uid: String,
        indices: Vec<usize>,
        values: Vec<bool>,
        at: Timestamp,
    },
    /// Renames the first embedded action item whose description is `old_description`.
    RenameActionItem {
        uid: String,
        old_description: String,
        description: String,
        at: Timestamp,
    },
    /// Removes the embedded action items with this description.
    RemoveActionItems {
        uid: String,
        description: String,
        at: Timestamp,
    },
    ChangeVisibility {
        uid: String,
        visibility: ConversationVisibility,
        at: Timestamp,
    },
    Star {
        uid: String,
        starred: bool,
        at: Timestamp,
    },
    MoveToFolder {
        uid: String,
        folder_id: Option<String>,
        at: Timestamp,
    },
    /// Moves the conversation to `to` if it is still in folder `from` (the folder was deleted); records
    /// nothing otherwise, so handling a deletion again never undoes a later move.
    MoveOutOfFolder {
        uid: String,
        from: String,
        to: String,
        at: Timestamp,
    },
    SetDiscarded {
        uid: String,
        discarded: bool,
        at: Timestamp,
    },
    /// Marks a completed conversation as being merged into `into`.
    BeginMerge {
        uid: String,
        into: String,
        at: Timestamp,
    },
    /// Ends a conversation that was merged into `into`.
    FinishMerge {
        uid: String,
        into: String,
        at: Timestamp,
    },
    Delete {
        uid: String,
        at: Timestamp,
    },
}
