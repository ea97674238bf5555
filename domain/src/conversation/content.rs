//! What a conversation says, folded from its events: the input of processing.

use serde_json::Value;

use super::{ConversationEvent, ConversationSource, TranscriptSegment};
use crate::Timestamp;

/// The content of a conversation as processing needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationContent {
    pub uid: String,
    pub source: ConversationSource,
    pub language: String,
    pub started_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub segments: Vec<TranscriptSegment>,
    /// For text imports: the original create payload (`text`, `text_source`, ...).
    pub external_data: Option<Value>,
    /// The current title (a hint when reprocessing).
    pub title: String,
}

impl ConversationContent {
    /// Folds a conversation's events, in order; `None` when it was never created or is gone.
    pub fn fold<'a>(
        events: impl IntoIterator<Item = &'a ConversationEvent>,
    ) -> Option<ConversationContent> {
        let mut content: Option<ConversationContent> = None;
        for event in events {
            use ConversationEvent as E;
            match event {
                E::ConversationStarted {
                    uid,
                    source,
                    language,
                    created_at,
                } => {
                    content = Some(ConversationContent {
                        uid: uid.clone(),
                        source: *source,
                        language: language.clone(),
                        started_at: None,
                        created_at: *created_at,
                        segments: Vec::new(),
                        external_data: None,
                        title: String::new(),
                    })
                }
                E::ConversationImported {
                    uid,
                    source,
                    language,
                    created_at,
                    started_at,
                    segments,
                    external_data,
                    ..
                } => {
                    content = Some(ConversationContent {
                        uid: uid.clone(),
                        source: *source,
                        language: language.clone(),
                        started_at: Some(*started_at),
                        created_at: *created_at,
                        segments: segments.clone(),
                        external_data: external_data.clone(),
                        title: String::new(),
                    })
                }
                E::ConversationMerged { .. } | E::ConversationDeleted { .. } => content = None,
                other => {
                    if let Some(content) = &mut content {
                        content.apply(other);
                    }
                }
            }
        }
        content
    }

    fn apply(&mut self, event: &ConversationEvent) {
        use ConversationEvent as E;
        match event {
            E::SegmentsAppended {
                segments,
                started_at,
                ..
            } => {
                if started_at.is_some() {
                    self.started_at = *started_at;
                }
                for segment in segments {
                    match self.segments.iter_mut().find(|s| s.id == segment.id) {
                        Some(stored) => *stored = segment.clone(),
                        None => self.segments.push(segment.clone()),
                    }
                }
            }
            E::SegmentTextEdited {
                segment_id, text, ..
            } => {
                if let Some(segment) = self.segments.iter_mut().find(|s| s.id == *segment_id) {
                    segment.text = text.clone();
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
            E::ConversationProcessed { structured, .. } => self.title = structured.title.clone(),
            E::TitleEdited { title, .. } => self.title = title.clone(),
            _ => {}
        }
    }
}
