//! What every read model must hold after a replay of the generated log, folded by the generator from the events
//! it wrote: one expected row per entity, every field of it. This is the benchmark's own statement of each read
//! model's rules (written from the views' documentation, not by calling the projections), so a projection or a
//! rebuild that folds an event wrongly, loses a field or reads the wrong time shows up as a difference.

use chrono::{DateTime, Utc};
use omi_domain::action_item::ActionItemEvent;
use omi_domain::api_key::{ApiKeyEvent, KeyFamily};
use omi_domain::conversation::{
    ConversationEvent, ConversationSource, ConversationStatus, ConversationVisibility, Structured,
};
use omi_domain::memory::{scoring, MemoryEvent};
use omi_projections::action_items::ActionItemView;
use omi_projections::api_keys::ApiKeyView;
use omi_projections::conversations::{
    ConversationView, EmbeddedActionItemView, EventView, StructuredView,
};
use omi_projections::memories::MemoryView;

/// An action item row: its owner and the document.
#[derive(Debug, Clone)]
pub struct ExpectedActionItem {
    pub uid: String,
    pub view: ActionItemView,
}

/// A conversation row: its owner, the document, the processing runs and how many events it folded.
#[derive(Debug, Clone)]
pub struct ExpectedConversation {
    pub uid: String,
    pub view: ConversationView,
    pub requested_run: u32,
    pub finished_run: u32,
    pub events: u64,
}

/// An API key row: its owner, what the owner sees and what only authentication reads.
#[derive(Debug, Clone)]
pub struct ExpectedApiKey {
    pub uid: String,
    pub view: ApiKeyView,
    pub family: KeyFamily,
    pub hashed_key: String,
}

/// A memory after `event` (`None`: deleted).
pub fn memory(id: &str, state: &mut Option<MemoryView>, event: &MemoryEvent) {
    match event {
        MemoryEvent::MemoryCreated {
            uid,
            content,
            category,
            visibility,
            tags,
            manually_added,
            reviewed,
            user_review,
            conversation_id,
            app_id,
            created_at,
        } => {
            *state = Some(MemoryView {
                id: id.to_string(),
                uid: uid.clone(),
                content: content.clone(),
                category: *category,
                visibility: *visibility,
                tags: tags.clone(),
                created_at: *created_at,
                updated_at: *created_at,
                conversation_id: conversation_id.clone(),
                reviewed: *reviewed,
                user_review: *user_review,
                manually_added: *manually_added,
                edited: false,
                scoring: scoring(*manually_added, *category, *created_at),
                app_id: app_id.clone(),
                data_protection_level: None,
                is_locked: false,
                kg_extracted: false,
            })
        }
        MemoryEvent::MemoryEdited {
            content,
            category,
            tags,
            updated_at,
        } => {
            if let Some(m) = state {
                if let Some(content) = content {
                    m.content = content.clone();
                    m.edited = true;
                }
                if let Some(category) = category {
                    m.category = *category;
                    m.scoring = scoring(m.manually_added, *category, m.created_at);
                }
                if let Some(tags) = tags {
                    m.tags = tags.clone();
                }
                m.updated_at = *updated_at;
            }
        }
        MemoryEvent::MemoryReviewed { value, reviewed_at } => {
            if let Some(m) = state {
                m.reviewed = true;
                m.user_review = Some(*value);
                m.updated_at = *reviewed_at;
            }
        }
        MemoryEvent::MemoryVisibilityChanged {
            visibility,
            updated_at,
        } => {
            if let Some(m) = state {
                m.visibility = *visibility;
                m.updated_at = *updated_at;
            }
        }
        MemoryEvent::MemoryDeleted { .. } => *state = None,
        MemoryEvent::MemoryEmbedded { .. } => {}
    }
}

/// An action item after `event` (`None`: deleted).
pub fn action_item(id: &str, state: &mut Option<ExpectedActionItem>, event: &ActionItemEvent) {
    match event {
        ActionItemEvent::ActionItemCreated {
            uid,
            description,
            completed,
            completed_at,
            due_at,
            conversation_id,
            created_at,
        } => {
            *state = Some(ExpectedActionItem {
                uid: uid.clone(),
                view: ActionItemView {
                    id: id.to_string(),
                    description: description.clone(),
                    completed: *completed,
                    created_at: *created_at,
                    updated_at: *created_at,
                    due_at: *due_at,
                    completed_at: *completed_at,
                    conversation_id: conversation_id.clone(),
                    is_locked: false,
                    exported: false,
                    export_date: None,
                    export_platform: None,
                },
            })
        }
        ActionItemEvent::ActionItemUpdated {
            description,
            due_at,
            exported,
            export_date,
            export_platform,
            updated_at,
        } => {
            if let Some(ExpectedActionItem { view, .. }) = state {
                if let Some(description) = description {
                    view.description = description.clone();
                }
                due_at.clone().apply_to(&mut view.due_at);
                if let Some(exported) = exported {
                    view.exported = *exported;
                }
                export_date.clone().apply_to(&mut view.export_date);
                export_platform.clone().apply_to(&mut view.export_platform);
                view.updated_at = *updated_at;
            }
        }
        ActionItemEvent::ActionItemCompleted { completed_at } => {
            if let Some(ExpectedActionItem { view, .. }) = state {
                view.completed = true;
                view.completed_at = Some(*completed_at);
                view.updated_at = *completed_at;
            }
        }
        ActionItemEvent::ActionItemReopened { reopened_at } => {
            if let Some(ExpectedActionItem { view, .. }) = state {
                view.completed = false;
                view.completed_at = None;
                view.updated_at = *reopened_at;
            }
        }
        ActionItemEvent::ActionItemDeleted { .. } => *state = None,
    }
}

/// An API key after `event` (`None`: revoked).
pub fn api_key(id: &str, state: &mut Option<ExpectedApiKey>, event: &ApiKeyEvent) {
    match event {
        ApiKeyEvent::ApiKeyCreated {
            uid,
            family,
            name,
            scopes,
            hashed_key,
            display_prefix,
            created_at,
        } => {
            *state = Some(ExpectedApiKey {
                uid: uid.clone(),
                view: ApiKeyView {
                    id: id.to_string(),
                    name: name.clone(),
                    key_prefix: display_prefix.clone(),
                    scopes: scopes.clone(),
                    created_at: *created_at,
                    last_used_at: None,
                },
                family: *family,
                hashed_key: hashed_key.clone(),
            })
        }
        ApiKeyEvent::ApiKeyUsed { used_at } => {
            if let Some(key) = state {
                key.view.last_used_at = Some(*used_at);
            }
        }
        ApiKeyEvent::ApiKeyRevoked { .. } => *state = None,
    }
}

/// The structured summary as the conversation document shows it: every embedded action item names the
/// conversation.
fn structured_view(structured: &Structured, conversation_id: &str) -> StructuredView {
    StructuredView {
        title: structured.title.clone(),
        overview: structured.overview.clone(),
        emoji: structured.emoji.clone(),
        category: structured.category.clone(),
        action_items: structured
            .action_items
            .iter()
            .map(|item| EmbeddedActionItemView {
                description: item.description.clone(),
                completed: item.completed,
                created_at: item.created_at,
                updated_at: item.updated_at,
                due_at: item.due_at,
                completed_at: item.completed_at,
                conversation_id: Some(conversation_id.to_string()),
            })
            .collect(),
        events: structured
            .events
            .iter()
            .map(|event| EventView {
                title: event.title.clone(),
                description: event.description.clone(),
                start: event.start,
                duration: event.duration,
                created: event.created,
            })
            .collect(),
    }
}

/// A conversation that nothing has happened to since it was created.
fn new_conversation(
    id: &str,
    source: ConversationSource,
    language: &str,
    created_at: DateTime<Utc>,
    status: ConversationStatus,
    recorded_at: DateTime<Utc>,
) -> ConversationView {
    ConversationView {
        id: id.to_string(),
        created_at,
        updated_at: recorded_at,
        started_at: None,
        finished_at: None,
        source,
        language: language.to_string(),
        structured: structured_view(&Structured::default(), ""),
        transcript_segments: Some(Vec::new()),
        geolocation: None,
        photos: Vec::new(),
        apps_results: Vec::new(),
        plugins_results: Vec::new(),
        suggested_summarization_apps: Vec::new(),
        external_data: None,
        discarded: false,
        visibility: ConversationVisibility::Private,
        starred: false,
        status,
        is_locked: false,
        folder_id: None,
        processing_conversation_id: None,
        private_cloud_sync_enabled: false,
        deleted: false,
    }
}

/// A conversation after `event`, recorded in the log at `recorded_at` (`None`: deleted or merged). Its
/// `updated_at` is the recording time of its last event, not a time inside the event.
pub fn conversation(
    id: &str,
    state: &mut Option<ExpectedConversation>,
    event: &ConversationEvent,
    recorded_at: DateTime<Utc>,
) {
    use ConversationEvent as E;
    match event {
        E::ConversationStarted {
            uid,
            source,
            language,
            created_at,
        } => {
            *state = Some(ExpectedConversation {
                uid: uid.clone(),
                view: new_conversation(
                    id,
                    *source,
                    language,
                    *created_at,
                    ConversationStatus::InProgress,
                    recorded_at,
                ),
                requested_run: 0,
                finished_run: 0,
                events: 1,
            });
            return;
        }
        E::ConversationImported {
            uid,
            source,
            language,
            created_at,
            started_at,
            finished_at,
            segments,
            geolocation,
            external_data,
        } => {
            let mut view = new_conversation(
                id,
                *source,
                language,
                *created_at,
                ConversationStatus::Processing,
                recorded_at,
            );
            view.started_at = Some(*started_at);
            view.finished_at = Some(*finished_at);
            view.transcript_segments = Some(segments.clone());
            view.geolocation = geolocation.clone();
            view.external_data = external_data.clone();
            *state = Some(ExpectedConversation {
                uid: uid.clone(),
                view,
                requested_run: 0,
                finished_run: 0,
                events: 1,
            });
            return;
        }
        E::ConversationDeleted { .. } | E::ConversationMerged { .. } => {
            *state = None;
            return;
        }
        _ => {}
    }
    let Some(row) = state else {
        return;
    };
    row.events += 1;
    row.view.updated_at = recorded_at;
    let view = &mut row.view;
    match event {
        E::SegmentsAppended {
            segments,
            started_at,
            finished_at,
        } => {
            if started_at.is_some() {
                view.started_at = *started_at;
            }
            view.finished_at = Some(*finished_at);
            let stored = view.transcript_segments.get_or_insert_with(Vec::new);
            for segment in segments {
                match stored.iter_mut().find(|s| s.id == segment.id) {
                    Some(existing) => *existing = segment.clone(),
                    None => stored.push(segment.clone()),
                }
            }
        }
        E::ProcessingRequested { run, reprocess, .. } => {
            row.requested_run = *run;
            if !*reprocess || view.status == ConversationStatus::Failed {
                view.status = ConversationStatus::Processing;
            }
        }
        E::ConversationProcessed {
            run,
            structured,
            discarded,
            ..
        } => {
            row.finished_run = *run;
            view.structured = structured_view(structured, id);
            view.discarded = *discarded;
            view.status = ConversationStatus::Completed;
        }
        E::ConversationFailed { run, .. } => {
            row.finished_run = *run;
            view.status = ConversationStatus::Failed;
        }
        E::TitleEdited { title, .. } => view.structured.title = title.clone(),
        E::OverviewEdited { overview, .. } => view.structured.overview = overview.clone(),
        E::SegmentTextEdited {
            segment_id, text, ..
        } => {
            for segment in view.transcript_segments.iter_mut().flatten() {
                if segment.id == *segment_id {
                    segment.text = text.clone();
                }
            }
        }
        E::SegmentsAssigned {
            segment_ids,
            is_user,
            person_id,
            ..
        } => {
            for segment in view.transcript_segments.iter_mut().flatten() {
                if segment_ids.contains(&segment.id) {
                    segment.is_user = *is_user;
                    segment.person_id = person_id.clone();
                }
            }
        }
        E::EventsCreatedSet { changes, .. } => {
            for (index, value) in changes {
                if let Some(event) = view.structured.events.get_mut(*index) {
                    event.created = *value;
                }
            }
        }
        E::ActionItemsCompletedSet { changes, at } => {
            let created_at = view.created_at;
            for (index, value) in changes {
                if let Some(item) = view.structured.action_items.get_mut(*index) {
                    item.completed = *value;
                    item.completed_at = if *value { Some(*at) } else { None };
                    item.updated_at = Some(*at);
                    if item.created_at.is_none() {
                        item.created_at = Some(created_at);
                    }
                }
            }
        }
        E::ActionItemRenamed {
            index,
            description,
            at,
        } => {
            if let Some(item) = view.structured.action_items.get_mut(*index) {
                item.description = description.clone();
                item.updated_at = Some(*at);
            }
        }
        E::ActionItemsRemoved { description, .. } => view
            .structured
            .action_items
            .retain(|item| item.description != *description),
        E::VisibilityChanged { visibility, .. } => view.visibility = *visibility,
        E::StarredChanged { starred, .. } => view.starred = *starred,
        E::MovedToFolder { folder_id, .. } => view.folder_id = folder_id.clone(),
        E::DiscardedChanged { discarded, .. } => view.discarded = *discarded,
        E::MergeStarted { .. } => view.status = ConversationStatus::Merging,
        E::ConversationStarted { .. }
        | E::ConversationImported { .. }
        | E::TrendsExtracted { .. }
        | E::ConversationDeleted { .. }
        | E::ConversationMerged { .. } => {}
        // The generated logs have no summarization apps, no embeddings and no audio.
        E::AppResultsRecorded { .. }
        | E::ConversationEmbedded { .. }
        | E::AudioChunkRecorded { .. } => {}
    }
}
