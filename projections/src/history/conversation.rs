//! The history of a conversation and its state at an instant.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use omi_domain::conversation::{Conversation, ConversationEvent};
use omi_store::{Database, StoredEvent};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::stream::{state_at, steps, Entity};
use crate::conversations::{ConversationRow, ConversationView};
use crate::runtime::ProjectionError;

/// One version of a conversation: the event that made it, when and by whom, what it changed, and the
/// conversation afterwards in its list form, without `transcript_segments` (each version would otherwise repeat
/// the whole transcript; the segments an event added or edited are in its `changes`); `null` after a deletion
/// or a merge into another conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConversationVersion {
    pub version: i64,
    pub event: String,
    pub at: String,
    pub actor: String,
    pub changes: Value,
    pub conversation: Option<ConversationView>,
}

/// The whole history of one conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConversationHistory {
    pub conversation_id: String,
    pub deleted: bool,
    pub versions: Vec<ConversationVersion>,
}

struct Kind;

impl Entity for Kind {
    const TYPE: &'static str = Conversation::TYPE;
    type Event = ConversationEvent;
    /// The owner and the read model's row.
    type State = (String, ConversationRow);

    /// Every event but the embedding and the audio chunks, which change nothing the conversation shows (a
    /// version would only repeat the vector; their sequence numbers are left out of the versions).
    fn event(stored: &StoredEvent) -> Option<&ConversationEvent> {
        match stored {
            StoredEvent::Conversation(
                ConversationEvent::ConversationEmbedded { .. }
                | ConversationEvent::AudioChunkRecorded { .. },
            ) => None,
            StoredEvent::Conversation(event) => Some(event),
            _ => None,
        }
    }

    fn evolve(
        id: &str,
        current: Option<Self::State>,
        event: &ConversationEvent,
        recorded_at: DateTime<Utc>,
    ) -> Option<Self::State> {
        ConversationRow::evolve(id, current, event, recorded_at)
    }
}

/// Every version of the conversation `id` of user `uid`, oldest first; `None` when the user never had it.
pub async fn conversation_history(
    database: &Database,
    uid: &str,
    id: &str,
) -> Result<Option<ConversationHistory>, ProjectionError> {
    let Some(steps) = steps::<Kind, _>(database, uid, id, without_segments).await? else {
        return Ok(None);
    };
    let deleted = steps.last().is_some_and(|step| step.after.is_none());
    let versions = steps
        .into_iter()
        .map(|step| ConversationVersion {
            version: step.version,
            event: step.event,
            at: step.at,
            actor: step.actor,
            changes: step.changes,
            conversation: step.after,
        })
        .collect();
    Ok(Some(ConversationHistory {
        conversation_id: id.to_string(),
        deleted,
        versions,
    }))
}

/// The conversation `id` of user `uid` (with its transcript) as `GET /v1/conversations/{id}` would have
/// answered at `at`.
pub async fn conversation_as_of(
    database: &Database,
    uid: &str,
    id: &str,
    at: DateTime<Utc>,
) -> Result<Option<ConversationView>, ProjectionError> {
    Ok(state_at::<Kind>(database, uid, id, at)
        .await?
        .map(|(_, row)| row.view))
}

/// The list form of the conversation in `state`: its view without `transcript_segments` (not cloned: a long
/// live conversation has many versions).
fn without_segments(
    (_, row): &(String, ConversationRow),
) -> Result<ConversationView, ProjectionError> {
    let view = &row.view;
    Ok(ConversationView {
        id: view.id.clone(),
        created_at: view.created_at,
        updated_at: view.updated_at,
        started_at: view.started_at,
        finished_at: view.finished_at,
        source: view.source,
        language: view.language.clone(),
        structured: view.structured.clone(),
        transcript_segments: None,
        geolocation: view.geolocation.clone(),
        photos: view.photos.clone(),
        apps_results: view.apps_results.clone(),
        plugins_results: view.plugins_results.clone(),
        suggested_summarization_apps: view.suggested_summarization_apps.clone(),
        external_data: view.external_data.clone(),
        discarded: view.discarded,
        visibility: view.visibility,
        starred: view.starred,
        status: view.status,
        is_locked: view.is_locked,
        folder_id: view.folder_id.clone(),
        processing_conversation_id: view.processing_conversation_id.clone(),
        private_cloud_sync_enabled: view.private_cloud_sync_enabled,
        deleted: view.deleted,
    })
}
