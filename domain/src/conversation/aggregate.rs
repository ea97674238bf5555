//! The conversation aggregate: the lifecycle of spec §3.1 and the edits of spec §6.1.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::segment::merge_segments;
use super::{
    ConversationCommand, ConversationEvent, ConversationStatus, ConversationVisibility, Structured,
    TranscriptSegment,
};
use crate::{DomainError, Timestamp};

/// The state a conversation needs to decide on commands. `None` before creation and once deleted or merged.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Conversation {
    current: Option<Current>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Current {
    uid: String,
    status: ConversationStatus,
    segments: Vec<TranscriptSegment>,
    started_at: Option<Timestamp>,
    structured: Structured,
    run: u32,
    discarded: bool,
    visibility: ConversationVisibility,
    starred: bool,
    folder_id: Option<String>,
}

fn not_found() -> DomainError {
    DomainError::NotFound("Conversation")
}

fn conflict(message: &str) -> DomainError {
    DomainError::Conflict(message.to_string())
}

fn changes(
    len: usize,
    indices: &[usize],
    values: &[bool],
) -> Result<Vec<(usize, bool)>, DomainError> {
    if indices.len() != values.len() {
        return Err(DomainError::Invalid(
            "indices and values must have the same length".into(),
        ));
    }
    Ok(indices
        .iter()
        .zip(values)
        .filter(|(index, _)| **index < len)
        .map(|(index, value)| (*index, *value))
        .collect())
}

impl Conversation {
    fn owned(&self, uid: &str) -> Result<&Current, DomainError> {
        match &self.current {
            Some(current) if current.uid == uid => Ok(current),
            _ => Err(not_found()),
        }
    }

    /// The events of a processing result, if it belongs to the current run.
    fn current_run(&self, run: u32) -> Option<&Current> {
        self.current.as_ref().filter(|c| {
            c.run == run
                && matches!(
                    c.status,
                    ConversationStatus::Processing
                        | ConversationStatus::Completed
                        | ConversationStatus::Failed
                )
        })
    }

    fn decide(&self, command: ConversationCommand) -> Result<Vec<ConversationEvent>, DomainError> {
        use ConversationCommand as C;
        use ConversationEvent as E;
        Ok(match command {
            C::StartConversation {
                uid,
                source,
                language,
                at,
            } => {
                if self.current.is_some() {
                    return Err(conflict("Conversation already exists"));
                }
                vec![E::ConversationStarted {
                    uid,
                    source,
                    language,
                    created_at: at,
                }]
            }
            C::ImportConversation {
                uid,
                source,
                language,
                started_at,
                finished_at,
                segments,
                geolocation,
                external_data,
                at,
            } => {
                if self.current.is_some() {
                    return Err(conflict("Conversation already exists"));
                }
                if segments.is_empty() && external_data.is_none() {
                    return Err(DomainError::Invalid(
                        "A conversation needs transcript segments or text".into(),
                    ));
                }
                if finished_at < started_at {
                    return Err(DomainError::Invalid(
                        "finished_at must not be before started_at".into(),
                    ));
                }
                vec![
                    E::ConversationImported {
                        uid,
                        source,
                        language,
                        created_at: started_at,
                        started_at,
                        finished_at,
                        segments,
                        geolocation,
                        external_data,
                    },
                    E::ProcessingRequested {
                        run: 1,
                        force: false,
                        reprocess: false,
                        language: None,
                        requested_at: at,
                    },
                ]
            }
            C::AppendSegments {
                uid,
                segments,
                speech_began,
                at,
            } => {
                let current = self.owned(&uid)?;
                if current.status != ConversationStatus::InProgress {
                    return Err(conflict("Conversation is not in progress"));
                }
                let merged = merge_segments(&current.segments, segments);
                if merged.is_empty() {
                    return Ok(vec![]);
                }
                let started_at = current.started_at.is_none().then_some(speech_began);
                vec![E::SegmentsAppended {
                    segments: merged,
                    started_at,
                    finished_at: at,
                }]
            }
            C::RequestProcessing { uid, force, at } => {
                let current = self.owned(&uid)?;
                if current.status != ConversationStatus::InProgress {
                    return Err(conflict("Conversation is not in progress"));
                }
                if current.segments.is_empty() {
                    vec![E::ConversationDeleted {
                        reason: "empty".into(),
                        at,
                    }]
                } else {
                    vec![E::ProcessingRequested {
                        run: current.run + 1,
                        force,
                        reprocess: false,
                        language: None,
                        requested_at: at,
                    }]
                }
            }
            C::Reprocess { uid, language, at } => {
                let current = self.owned(&uid)?;
                if !matches!(
                    current.status,
                    ConversationStatus::Completed | ConversationStatus::Failed
                ) {
                    return Err(conflict(
                        "Only a completed or failed conversation can be reprocessed",
                    ));
                }
                vec![E::ProcessingRequested {
                    run: current.run + 1,
                    force: true,
                    reprocess: true,
                    language,
                    requested_at: at,
                }]
            }
            C::CompleteProcessing {
                run,
                structured,
                discarded,
                memories,
                published,
                at,
            } => match self.current_run(run) {
                Some(_) => vec![E::ConversationProcessed {
                    run,
                    structured,
                    discarded,
                    memories,
                    published,
                    completed_at: at,
                }],
                None => vec![],
            },
            C::FailProcessing { run, reason, at } => match self.current_run(run) {
                Some(_) => vec![E::ConversationFailed {
                    run,
                    reason,
                    failed_at: at,
                }],
                None => vec![],
            },
            C::EditTitle { uid, title, at } => {
                let current = self.owned(&uid)?;
                let title = title.trim().to_string();
                if title.is_empty() {
                    return Err(DomainError::Invalid("Title cannot be empty".into()));
                }
                if title == current.structured.title {
                    return Ok(vec![]);
                }
                vec![E::TitleEdited { title, at }]
            }
            C::EditOverview { uid, overview, at } => {
                let current = self.owned(&uid)?;
                if overview == current.structured.overview {
                    return Ok(vec![]);
                }
                vec![E::OverviewEdited { overview, at }]
            }
            C::EditSegmentText {
                uid,
                segment_id,
                text,
                at,
            } => {
                let current = self.owned(&uid)?;
                let Some(segment) = current.segments.iter().find(|s| s.id == segment_id) else {
                    return Err(DomainError::NotFound("Segment"));
                };
                if segment.text == text {
                    return Ok(vec![]);
                }
                vec![E::SegmentTextEdited {
                    segment_id,
                    text,
                    at,
                }]
            }
            C::AssignSegments {
                uid,
                segment_ids,
                is_user,
                person_id,
                at,
            } => {
                let current = self.owned(&uid)?;
                if segment_ids.is_empty()
                    || !segment_ids
                        .iter()
                        .all(|id| current.segments.iter().any(|s| s.id == *id))
                {
                    return Err(DomainError::NotFound("Segment"));
                }
                vec![E::SegmentsAssigned {
                    segment_ids,
                    is_user,
                    person_id,
                    at,
                }]
            }
            C::SetEventsCreated {
                uid,
                indices,
                values,
                at,
            } => {
                let current = self.owned(&uid)?;
                let changes = changes(current.structured.events.len(), &indices, &values)?;
                if changes.is_empty() {
                    return Ok(vec![]);
                }
                vec![E::EventsCreatedSet { changes, at }]
            }
            C::SetActionItemsCompleted {
                uid,
                indices,
                values,
                at,
            } => {
                let current = self.owned(&uid)?;
                let changes = changes(current.structured.action_items.len(), &indices, &values)?;
                if changes.is_empty() {
                    return Ok(vec![]);
                }
                vec![E::ActionItemsCompletedSet { changes, at }]
            }
            C::RenameActionItem {
                uid,
                old_description,
                description,
                at,
            } => {
                let current = self.owned(&uid)?;
                let Some(index) = current
                    .structured
                    .action_items
                    .iter()
                    .position(|i| i.description == old_description)
                else {
                    return Err(DomainError::NotFound("Action item"));
                };
                let description = description.trim().to_string();
                if description.is_empty() {
                    return Err(DomainError::Invalid(
                        "Action item description cannot be empty".into(),
                    ));
                }
                vec![E::ActionItemRenamed {
                    index,
                    description,
                    at,
                }]
            }
            C::RemoveActionItems {
                uid,
                description,
                at,
            } => {
                let current = self.owned(&uid)?;
                if !current
                    .structured
                    .action_items
                    .iter()
                    .any(|i| i.description == description)
                {
                    return Ok(vec![]);
                }
                vec![E::ActionItemsRemoved { description, at }]
            }
            C::ChangeVisibility {
                uid,
                visibility,
                at,
            } => {
                let current = self.owned(&uid)?;
                if current.visibility == visibility {
                    return Ok(vec![]);
                }
                vec![E::VisibilityChanged { visibility, at }]
            }
            C::Star { uid, starred, at } => {
                let current = self.owned(&uid)?;
                if current.starred == starred {
                    return Ok(vec![]);
                }
                vec![E::StarredChanged { starred, at }]
            }
            C::MoveToFolder { uid, folder_id, at } => {
                let current = self.owned(&uid)?;
                if current.folder_id == folder_id {
                    return Ok(vec![]);
                }
                vec![E::MovedToFolder { folder_id, at }]
            }
            C::SetDiscarded { uid, discarded, at } => {
                let current = self.owned(&uid)?;
                if current.discarded == discarded {
                    return Ok(vec![]);
                }
                vec![E::DiscardedChanged { discarded, at }]
            }
            C::BeginMerge { uid, into, at } => {
                let current = self.owned(&uid)?;
                if current.status != ConversationStatus::Completed {
                    return Err(conflict("Only completed conversations can be merged"));
                }
                vec![E::MergeStarted { into, at }]
            }
            C::FinishMerge { uid, into, at } => {
                let current = self.owned(&uid)?;
                if current.status != ConversationStatus::Merging {
                    return Err(conflict("Conversation is not being merged"));
                }
                vec![E::ConversationMerged { into, at }]
            }
            C::Delete { uid, at } => {
                self.owned(&uid)?;
                vec![E::ConversationDeleted {
                    reason: "user".into(),
                    at,
                }]
            }
        })
    }
}

impl Aggregate for Conversation {
    const TYPE: &'static str = "Conversation";
    type Command = ConversationCommand;
    type Event = ConversationEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ConversationCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ConversationEvent) {
        use ConversationEvent as E;
        match event {
            E::ConversationStarted { uid, .. } => {
                self.current = Some(Current::new(
                    uid,
                    ConversationStatus::InProgress,
                    vec![],
                    None,
                ))
            }
            E::ConversationImported {
                uid,
                segments,
                started_at,
                ..
            } => {
                self.current = Some(Current::new(
                    uid,
                    ConversationStatus::Processing,
                    segments,
                    Some(started_at),
                ))
            }
            E::ConversationMerged { .. } | E::ConversationDeleted { .. } => self.current = None,
            event => {
                if let Some(current) = &mut self.current {
                    current.apply(event);
                }
            }
        }
    }
}

impl Current {
    fn new(
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
        }
    }

    fn apply(&mut self, event: ConversationEvent) {
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
            E::ConversationStarted { .. }
            | E::ConversationImported { .. }
            | E::ConversationMerged { .. }
            | E::ConversationDeleted { .. } => {}
        }
    }
}
