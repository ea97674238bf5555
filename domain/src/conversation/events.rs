//! What happened to a conversation. Stored names and versions are stable.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    ConversationSource, ConversationVisibility, ExtractedMemory, Geolocation, Structured,
    TranscriptSegment,
};
use crate::Timestamp;

/// An event on a conversation's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ConversationEvent {
    /// A live capture opened its `in_progress` stub.
    ConversationStarted {
        uid: String,
        source: ConversationSource,
        language: String,
        created_at: Timestamp,
    },
    /// A finished conversation was created from segments or text.
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
    SegmentsAppended {
        segments: Vec<TranscriptSegment>,
        /// Set with the first segments: when speech began.
        started_at: Option<Timestamp>,
        finished_at: Timestamp,
    },
    /// Processing run `run` was asked for.
    ProcessingRequested {
        run: u32,
        force: bool,
        reprocess: bool,
        language: Option<String>,
        requested_at: Timestamp,
    },
    /// Processing run `run` produced the structured summary.
    ConversationProcessed {
        run: u32,
        structured: Structured,
        discarded: bool,
        /// Facts for the memory list, kept in the event so that syncing them never asks the model again.
        #[serde(default)]
        memories: Vec<ExtractedMemory>,
        /// The pipeline wrote the result's action items and memories to the standalone lists before this event,
        /// so that a conversation is never shown completed without them. Absent (false) in events of earlier
        /// versions, whose lists were synced after the event.
        #[serde(default)]
        published: bool,
        completed_at: Timestamp,
    },
    /// Processing run `run` failed.
    ConversationFailed {
        run: u32,
        reason: String,
        failed_at: Timestamp,
    },
    TitleEdited {
        title: String,
        at: Timestamp,
    },
    OverviewEdited {
        overview: String,
        at: Timestamp,
    },
    SegmentTextEdited {
        segment_id: String,
        text: String,
        at: Timestamp,
    },
    SegmentsAssigned {
        segment_ids: Vec<String>,
        is_user: bool,
        person_id: Option<String>,
        at: Timestamp,
    },
    EventsCreatedSet {
        changes: Vec<(usize, bool)>,
        at: Timestamp,
    },
    ActionItemsCompletedSet {
        changes: Vec<(usize, bool)>,
        at: Timestamp,
    },
    ActionItemRenamed {
        index: usize,
        description: String,
        at: Timestamp,
    },
    ActionItemsRemoved {
        description: String,
        at: Timestamp,
    },
    VisibilityChanged {
        visibility: ConversationVisibility,
        at: Timestamp,
    },
    StarredChanged {
        starred: bool,
        at: Timestamp,
    },
    MovedToFolder {
        folder_id: Option<String>,
        at: Timestamp,
    },
    DiscardedChanged {
        discarded: bool,
        at: Timestamp,
    },
    MergeStarted {
        into: String,
        at: Timestamp,
    },
    /// The conversation ended because it was merged into `into`.
    ConversationMerged {
        into: String,
        at: Timestamp,
    },
    /// The conversation was deleted (`reason`: `user`, or `empty` for a stub that never got content).
    ConversationDeleted {
        reason: String,
        at: Timestamp,
    },
}

impl DomainEvent for ConversationEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ConversationStarted { .. } => "ConversationStarted",
            Self::ConversationImported { .. } => "ConversationImported",
            Self::SegmentsAppended { .. } => "SegmentsAppended",
            Self::ProcessingRequested { .. } => "ProcessingRequested",
            Self::ConversationProcessed { .. } => "ConversationProcessed",
            Self::ConversationFailed { .. } => "ConversationFailed",
            Self::TitleEdited { .. } => "TitleEdited",
            Self::OverviewEdited { .. } => "OverviewEdited",
            Self::SegmentTextEdited { .. } => "SegmentTextEdited",
            Self::SegmentsAssigned { .. } => "SegmentsAssigned",
            Self::EventsCreatedSet { .. } => "EventsCreatedSet",
            Self::ActionItemsCompletedSet { .. } => "ActionItemsCompletedSet",
            Self::ActionItemRenamed { .. } => "ActionItemRenamed",
            Self::ActionItemsRemoved { .. } => "ActionItemsRemoved",
            Self::VisibilityChanged { .. } => "VisibilityChanged",
            Self::StarredChanged { .. } => "StarredChanged",
            Self::MovedToFolder { .. } => "MovedToFolder",
            Self::DiscardedChanged { .. } => "DiscardedChanged",
            Self::MergeStarted { .. } => "MergeStarted",
            Self::ConversationMerged { .. } => "ConversationMerged",
            Self::ConversationDeleted { .. } => "ConversationDeleted",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
