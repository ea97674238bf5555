//! What one conversation, action item or memory contributes to its user's statistics, and how each event changes
//! it. The live projections, their rebuilds and the folds of a user's log as of an instant all call these. An
//! action item or a memory contributes what its own read model's row holds (the days of its creation and
//! completion), read through [`action_item_days`] and [`memory_day`].

use omi_domain::conversation::{
    ConversationEvent, ConversationStatus, Structured, TranscriptSegment,
};
use serde::{Deserialize, Serialize};

use super::day::day_of;
use crate::action_items::ActionItemView;
use crate::memories::MemoryView;

/// What a conversation without transcript segments counts as spoken (spec §7.12: five minutes).
pub const DEFAULT_CONVERSATION_MILLISECONDS: i64 = 5 * 60 * 1000;

/// One transcript segment as the statistics need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SegmentTally {
    pub id: String,
    /// Length in milliseconds (`end - start`, never negative).
    pub ms: i64,
    pub words: i64,
    pub is_user: bool,
    pub speaker: String,
    pub person_id: Option<String>,
}

impl SegmentTally {
    fn of(segment: &TranscriptSegment) -> Self {
        SegmentTally {
            id: segment.id.clone(),
            ms: milliseconds(segment.end - segment.start),
            words: words(&segment.text),
            is_user: segment.is_user,
            speaker: segment.speaker.clone(),
            person_id: segment.person_id.clone(),
        }
    }
}

fn milliseconds(seconds: f64) -> i64 {
    if seconds.is_finite() && seconds > 0.0 {
        (seconds * 1000.0).round().min(i64::MAX as f64) as i64
    } else {
        0
    }
}

/// Words of a text: its runs of non-whitespace.
pub(crate) fn words(text: &str) -> i64 {
    text.split_whitespace().count() as i64
}

/// A conversation's tally: the state its contribution is derived from. Deleted and merged conversations have
/// none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ConversationTally {
    /// The day of its `created_at`.
    pub day: i64,
    pub status: ConversationStatus,
    pub discarded: bool,
    /// The category of its last processing (`Structured::default()`'s before one, as the conversation shows).
    pub category: String,
    pub segments: Vec<SegmentTally>,
}

/// What a conversation adds to the day it counts on.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationContribution {
    pub day: i64,
    /// Completed and not discarded: only such conversations count.
    pub counted: bool,
    /// Summed over its segments' timings; [`DEFAULT_CONVERSATION_MILLISECONDS`] when it has none.
    pub milliseconds: i64,
    pub words: i64,
    pub category: String,
    /// The person ids of the other speakers, sorted, each once.
    pub people: Vec<String>,
    /// How many other speakers it had (a person, or an unassigned speaker label).
    pub speakers: i64,
}

impl ConversationTally {
    /// The owner and tally after `event`; `None` once the conversation is deleted or merged into another.
    pub(crate) fn evolve(
        current: Option<(String, ConversationTally)>,
        event: &ConversationEvent,
    ) -> Option<(String, ConversationTally)> {
        use ConversationEvent as E;
        match event {
            E::ConversationStarted {
                uid, created_at, ..
            } => Some((
                uid.clone(),
                ConversationTally::new(day_of(created_at), ConversationStatus::InProgress, &[]),
            )),
            E::ConversationImported {
                uid,
                created_at,
                segments,
                ..
            } => Some((
                uid.clone(),
                ConversationTally::new(
                    day_of(created_at),
                    ConversationStatus::Processing,
                    segments,
                ),
            )),
            E::ConversationMerged { .. } | E::ConversationDeleted { .. } => None,
            event => current.map(|(uid, mut tally)| {
                tally.apply(event);
                (uid, tally)
            }),
        }
    }

    fn new(day: i64, status: ConversationStatus, segments: &[TranscriptSegment]) -> Self {
        ConversationTally {
            day,
            status,
            discarded: false,
            category: Structured::default().category,
            segments: segments.iter().map(SegmentTally::of).collect(),
        }
    }

    /// The status follows the conversation read model's rules (`conversations::view`).
    fn apply(&mut self, event: &ConversationEvent) {
        use ConversationEvent as E;
        match event {
            E::SegmentsAppended { segments, .. } => {
                for segment in segments {
                    let tally = SegmentTally::of(segment);
                    match self.segments.iter_mut().find(|s| s.id == segment.id) {
                        Some(existing) => *existing = tally,
                        None => self.segments.push(tally),
                    }
                }
            }
            E::ProcessingRequested { reprocess, .. }
                if !*reprocess || self.status == ConversationStatus::Failed =>
            {
                self.status = ConversationStatus::Processing;
            }
            E::ConversationProcessed {
                structured,
                discarded,
                ..
            } => {
                self.status = ConversationStatus::Completed;
                self.category = structured.category.clone();
                self.discarded = *discarded;
            }
            E::ConversationFailed { .. } => self.status = ConversationStatus::Failed,
            E::SegmentTextEdited {
                segment_id, text, ..
            } => {
                if let Some(segment) = self.segments.iter_mut().find(|s| s.id == *segment_id) {
                    segment.words = words(text);
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
                    segment.is_user = *is_user;
                    segment.person_id = person_id.clone();
                }
            }
            E::DiscardedChanged { discarded, .. } => self.discarded = *discarded,
            E::MergeStarted { .. } => self.status = ConversationStatus::Merging,
            _ => {}
        }
    }

    /// What the conversation adds to its day.
    pub fn contribution(&self) -> ConversationContribution {
        let milliseconds = if self.segments.is_empty() {
            DEFAULT_CONVERSATION_MILLISECONDS
        } else {
            self.segments.iter().map(|s| s.ms).sum()
        };
        let mut people: Vec<String> = Vec::new();
        let mut speakers: Vec<&str> = Vec::new();
        for segment in self.segments.iter().filter(|s| !s.is_user) {
            let speaker = match &segment.person_id {
                Some(person) => {
                    if !people.contains(person) {
                        people.push(person.clone());
                    }
                    person.as_str()
                }
                None => segment.speaker.as_str(),
            };
            if !speakers.contains(&speaker) {
                speakers.push(speaker);
            }
        }
        people.sort();
        ConversationContribution {
            day: self.day,
            counted: self.status == ConversationStatus::Completed && !self.discarded,
            milliseconds,
            words: self.segments.iter().map(|s| s.words).sum(),
            category: self.category.clone(),
            speakers: speakers.len() as i64,
            people,
        }
    }
}

/// What an action item contributes: the day it was created on and, once completed, the day its completion counts
/// on ([`ActionItemView::counted_completion`]).
pub(crate) fn action_item_days(item: &ActionItemView) -> (i64, Option<i64>) {
    (
        day_of(&item.created_at),
        item.counted_completion().as_ref().map(day_of),
    )
}

/// What a memory contributes: the day it was created on (a deleted memory has no row, so contributes nothing).
pub(crate) fn memory_day(memory: &MemoryView) -> i64 {
    day_of(&memory.created_at)
}
