//! The state of a conversation that exists: what its decisions read, and how each of its events changes it.

use serde::{Deserialize, Serialize};

use super::{
    ConversationEvent, ConversationStatus, ConversationVisibility, Structured, TranscriptSegment,
};
use crate::Timestamp;

/// What the decisions read of a conversation that exists.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct State {
    pub(super) uid: String,
    pub(super) status: ConversationStatus,
    pub(super) segments: Vec<TranscriptSegment>,
    pub(super) started_at: Option<Timestamp>,
    pub(super) structured: Structured,
    /// The latest processing run; 0 before the first.
    pub(super) run: u32,
    pub(super) discarded: bool,
    pub(super) visibility: ConversationVisibility,
    pub(super) starred: bool,
    pub(super) folder_id: Option<String>,
    /// The run and model of the latest recorded embedding.
    #[serde(default)]
    pub(super) embedded: Option<(u32, String)>,
    /// The [`text_fingerprint`](super::text_fingerprint) of the text the latest embedding placed: the
    /// conversation's text when it was recorded (a decision records only an embedding of the current text).
    #[serde(default)]
    pub(super) embedded_text: Option<u64>,
}

impl State {
    pub(super) fn new(
        uid: String,
        status: ConversationStatus,
        segments: Vec<TranscriptSegment>,
        started_at: Option<Timestamp>,
    ) -> Self {
        Self {
            uid,
            status,
            segments,
            started_at,
            structured: Structured::default(),
            run: 0,
            discarded: false,
            visibility: ConversationVisibility::Private,
            starred: false,
            folder_id: None,
            embedded: None,
            embedded_text: None,
        }
    }

    /// The [`text_fingerprint`](super::text_fingerprint) of the conversation's text as it is now.
    pub(super) fn text_fingerprint(&self) -> u64 {
        super::text_fingerprint(
            &self.structured.title,
            &self.structured.overview,
            self.segments.iter().map(|segment| segment.text.as_str()),
        )
    }

    /// Applies an event of a conversation that exists; its creation and its end are `Conversation::apply`'s.
    pub(super) fn apply(&mut self, event: ConversationEvent) {
        use ConversationEvent as E;
        match event {
            E::SegmentsAppended {
                segments,
                started_at,
                ..
            } => {
                if started_at.is_some() {
                    self.started_at = started_at;
                }
                for segment in segments {
                    match self.segments.iter_mut().find(|s| s.id == segment.id) {
                        Some(stored) => *stored = segment,
                        None => self.segments.push(segment),
                    }
                }
            }
            E::ProcessingRequested { run, reprocess, .. } => {
                self.run = run;
                if !reprocess || self.status == ConversationStatus::Failed {
                    self.status = ConversationStatus::Processing;
                }
            }
            E::ConversationProcessed {
                structured,
                discarded,
                ..
            } => {
                self.structured = structured;
                self.discarded = discarded;
                self.status = ConversationStatus::Completed;
            }
            E::ConversationFailed { .. } => self.status = ConversationStatus::Failed,
            E::TitleEdited { title, .. } => self.structured.title = title,
            E::OverviewEdited { overview, .. } => self.structured.overview = overview,
            E::SegmentTextEdited {
                segment_id, text, ..
            } => {
                if let Some(segment) = self.segments.iter_mut().find(|s| s.id == segment_id) {
                    segment.text = text;
                }
            }
            E::SegmentsAssigned {
                segment_ids,
                is_user,
                person_id,
                ..
            } => {
                for segment in self
                    .segments
                    .iter_mut()
                    .filter(|s| segment_ids.contains(&s.id))
                {
                    segment.is_user = is_user;
                    segment.person_id = person_id.clone();
                }
            }
            E::EventsCreatedSet { changes, .. } => {
                for (index, value) in changes {
                    if let Some(event) = self.structured.events.get_mut(index) {
                        event.created = value;
                    }
                }
            }
            E::ActionItemsCompletedSet { changes, .. } => {
                for (index, value) in changes {
                    if let Some(item) = self.structured.action_items.get_mut(index) {
                        item.completed = value;
                    }
                }
            }
            E::ActionItemRenamed {
                index, description, ..
            } => {
                if let Some(item) = self.structured.action_items.get_mut(index) {
                    item.description = description;
                }
            }
            E::ActionItemsRemoved { description, .. } => self
                .structured
                .action_items
                .retain(|i| i.description != description),
            E::VisibilityChanged { visibility, .. } => self.visibility = visibility,
            E::StarredChanged { starred, .. } => self.starred = starred,
            E::MovedToFolder { folder_id, .. } => self.folder_id = folder_id,
            E::DiscardedChanged { discarded, .. } => self.discarded = discarded,
            E::MergeStarted { .. } => self.status = ConversationStatus::Merging,
            E::ConversationEmbedded { run, model, .. } => {
                self.embedded = Some((run, model));
                self.embedded_text = Some(self.text_fingerprint());
            }
            E::ConversationStarted { .. }
            | E::ConversationImported { .. }
            | E::TrendsExtracted { .. }
            | E::AppResultsRecorded { .. }
            | E::AudioChunkRecorded { .. }
            | E::ConversationMerged { .. }
            | E::ConversationDeleted { .. } => {}
        }
    }
}
