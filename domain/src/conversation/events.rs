//! What happened to a conversation.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out, so renaming a variant changes nothing stored. Changing a stored name or a payload's shape breaks
//! the logs already written unless it comes with a new version and an upcaster (see [`crate::contract`]); the
//! stored form of every event is pinned by a fixture (`domain/tests/event_contracts.rs`).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    AppResult, Conversation, ConversationSource, ConversationVisibility, Embedding,
    ExtractedMemory, Geolocation, Structured, TranscriptSegment,
};
use crate::contract::stored_events;
use crate::trend::TrendMention;
use crate::Timestamp;

/// An event on a conversation's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ConversationEvent {
    /// A live capture opened its `in_progress` stub.
    #[serde(rename = "ConversationStarted")]
    ConversationStarted {
        uid: String,
        source: ConversationSource,
        language: String,
        created_at: Timestamp,
    },
    /// A finished conversation was created from segments or text.
    #[serde(rename = "ConversationImported")]
    ConversationImported {
        uid: String,
        source: ConversationSource,
        language: String,
        created_at: Timestamp,
        started_at: Timestamp,
        finished_at: Timestamp,
        segments: Vec<TranscriptSegment>,
        geolocation: Option<Geolocation>,
        external_data: Option<Value>,
    },
    /// Live segments arrived: `segments` are the new and changed ones, in final form.
    #[serde(rename = "SegmentsAppended")]
    SegmentsAppended {
        segments: Vec<TranscriptSegment>,
        /// Set with the first segments: when speech began.
        started_at: Option<Timestamp>,
        finished_at: Timestamp,
    },
    /// The live capture kept `duration_ms` of the conversation's audio (16-bit little-endian mono PCM at
    /// `sample_rate` Hz) in the audio spool under `chunk_id`, for the user's `audio_bytes` webhooks (spec §5.4).
    /// Recorded only while such a webhook is on; the audio itself is never in the log.
    #[serde(rename = "AudioChunkRecorded")]
    AudioChunkRecorded {
        chunk_id: String,
        sample_rate: u32,
        duration_ms: u64,
        recorded_at: Timestamp,
    },
    /// Processing run `run` was asked for.
    #[serde(rename = "ProcessingRequested")]
    ProcessingRequested {
        run: u32,
        force: bool,
        reprocess: bool,
        language: Option<String>,
        requested_at: Timestamp,
    },
    /// Processing run `run` produced the structured summary.
    #[serde(rename = "ConversationProcessed")]
    ConversationProcessed {
        run: u32,
        structured: Structured,
        discarded: bool,
        /// Facts for the memory list, kept in the event so that syncing them never asks the model again.
        #[serde(default)]
        memories: Vec<ExtractedMemory>,
        /// The pipeline wrote the result's action items and memories to the standalone lists before this event,
        /// so that a conversation is never shown completed without them. Absent (read as false) in the events
        /// written before the field existed, whose lists were synced after the event; a field with a default
        /// reads the older form as it is, so the stored version stayed 1.0.
        #[serde(default)]
        published: bool,
        completed_at: Timestamp,
    },
    /// Processing run `run` found these trend mentions (whitelisted, at most one per topic); recorded right
    /// after its `ConversationProcessed` when there are any. A later run's result replaces them.
    #[serde(rename = "TrendsExtracted")]
    TrendsExtracted {
        run: u32,
        mentions: Vec<TrendMention>,
        extracted_at: Timestamp,
    },
    /// The summarization apps of processing run `run` (spec §3.2 step 6): the results of the app that ran and
    /// the apps suggested for the conversation; recorded after its `ConversationProcessed` when the user has a
    /// summarization app enabled. A later run's record replaces them.
    #[serde(rename = "AppResultsRecorded")]
    AppResultsRecorded {
        run: u32,
        results: Vec<AppResult>,
        suggested_apps: Vec<String>,
        recorded_at: Timestamp,
    },
    /// The embeddings model `model` placed the text of processing run `run` (title, overview, transcript) at
    /// `vector`, which semantic search compares queries with; recorded after its `ConversationProcessed` when an
    /// embeddings server is configured (`OMI_EMBEDDINGS_BASE_URL`). A later run's vector replaces it.
    #[serde(rename = "ConversationEmbedded")]
    ConversationEmbedded {
        run: u32,
        model: String,
        vector: Embedding,
        embedded_at: Timestamp,
    },
    /// Processing run `run` failed.
    #[serde(rename = "ConversationFailed")]
    ConversationFailed {
        run: u32,
        reason: String,
        failed_at: Timestamp,
    },
    #[serde(rename = "TitleEdited")]
    TitleEdited { title: String, at: Timestamp },
    #[serde(rename = "OverviewEdited")]
    OverviewEdited { overview: String, at: Timestamp },
    #[serde(rename = "SegmentTextEdited")]
    SegmentTextEdited {
        segment_id: String,
        text: String,
        at: Timestamp,
    },
    #[serde(rename = "SegmentsAssigned")]
    SegmentsAssigned {
        segment_ids: Vec<String>,
        is_user: bool,
        person_id: Option<String>,
        at: Timestamp,
    },
    #[serde(rename = "EventsCreatedSet")]
    EventsCreatedSet {
        changes: Vec<(usize, bool)>,
        at: Timestamp,
    },
    #[serde(rename = "ActionItemsCompletedSet")]
    ActionItemsCompletedSet {
        changes: Vec<(usize, bool)>,
        at: Timestamp,
    },
    #[serde(rename = "ActionItemRenamed")]
    ActionItemRenamed {
        index: usize,
        description: String,
        at: Timestamp,
    },
    #[serde(rename = "ActionItemsRemoved")]
    ActionItemsRemoved { description: String, at: Timestamp },
    #[serde(rename = "VisibilityChanged")]
    VisibilityChanged {
        visibility: ConversationVisibility,
        at: Timestamp,
    },
    #[serde(rename = "StarredChanged")]
    StarredChanged { starred: bool, at: Timestamp },
    #[serde(rename = "MovedToFolder")]
    MovedToFolder {
        folder_id: Option<String>,
        at: Timestamp,
    },
    #[serde(rename = "DiscardedChanged")]
    DiscardedChanged { discarded: bool, at: Timestamp },
    #[serde(rename = "MergeStarted")]
    MergeStarted { into: String, at: Timestamp },
    /// The conversation ended because it was merged into `into`.
    #[serde(rename = "ConversationMerged")]
    ConversationMerged { into: String, at: Timestamp },
    /// The conversation was deleted (`reason`: `user`, or `empty` for a stub that never got content).
    #[serde(rename = "ConversationDeleted")]
    ConversationDeleted { reason: String, at: Timestamp },
}

stored_events! {
    events: ConversationEvent,
    aggregate_type: Conversation::TYPE,
    stored: {
        ConversationStarted => ("ConversationStarted", "1.0"),
        ConversationImported => ("ConversationImported", "1.0"),
        SegmentsAppended => ("SegmentsAppended", "1.0"),
        AudioChunkRecorded => ("AudioChunkRecorded", "1.0"),
        ProcessingRequested => ("ProcessingRequested", "1.0"),
        ConversationProcessed => ("ConversationProcessed", "1.0"),
        TrendsExtracted => ("TrendsExtracted", "1.0"),
        AppResultsRecorded => ("AppResultsRecorded", "1.0"),
        ConversationEmbedded => ("ConversationEmbedded", "1.0"),
        ConversationFailed => ("ConversationFailed", "1.0"),
        TitleEdited => ("TitleEdited", "1.0"),
        OverviewEdited => ("OverviewEdited", "1.0"),
        SegmentTextEdited => ("SegmentTextEdited", "1.0"),
        SegmentsAssigned => ("SegmentsAssigned", "1.0"),
        EventsCreatedSet => ("EventsCreatedSet", "1.0"),
        ActionItemsCompletedSet => ("ActionItemsCompletedSet", "1.0"),
        ActionItemRenamed => ("ActionItemRenamed", "1.0"),
        ActionItemsRemoved => ("ActionItemsRemoved", "1.0"),
        VisibilityChanged => ("VisibilityChanged", "1.0"),
        StarredChanged => ("StarredChanged", "1.0"),
        MovedToFolder => ("MovedToFolder", "1.0"),
        DiscardedChanged => ("DiscardedChanged", "1.0"),
        MergeStarted => ("MergeStarted", "1.0"),
        ConversationMerged => ("ConversationMerged", "1.0"),
        ConversationDeleted => ("ConversationDeleted", "1.0"),
    }
}
