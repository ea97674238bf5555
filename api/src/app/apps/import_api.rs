//! What an app may do in a user's account through the import API (spec §7.2), once
//! [`super::import_access::authorize`] let it in: write conversations (run through the full pipeline) and
//! memories (explicit, or extracted from a text), read conversations (the reference's `ConversationItem`), tasks
//! and search results, and send the user a notification. Everything it writes is recorded with the app as actor.

use chrono::{DateTime, Utc};
use omi_commands::{Actor, Metadata};
use omi_domain::chat::{thread_id, ChatCommand, ChatThread, MessageType};
use omi_domain::conversation::{
    ConversationSource, ConversationStatus, Geolocation, TranscriptSegment,
};
use omi_domain::notification::NotificationSource;
use omi_projections::apps::AppRecord;
use omi_projections::conversations::{self, ConversationFilter, ConversationView};
use omi_services::llm::{ConversationInput, TextSource};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::app::conversations::{
    self as app_conversations, imports, DayRange, Import, TextImportInput,
};
use crate::app::memories::{self, CategoryRule, ManuallyAdded, MemoryInput, Rules};
use crate::app::notifications::{self as sending, NotificationContent};
use crate::app::{Caller, Page};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time_input::now;

/// Memories an app writes: categorized when it names no category, manually added only in `manual`, at most 100
/// per request.
pub const IMPORT_RULES: Rules = Rules {
    max_content: Some(MAX_MEMORY_CHARS),
    max_batch: 100,
    category: CategoryRule::GivenOrDetected,
    manually_added: ManuallyAdded::WhenManualCategory,
};

/// The longest memory an app writes, in characters.
pub const MAX_MEMORY_CHARS: usize = 5_000;
/// The most transcript segments a conversation item shows.
pub const MAX_SEGMENTS_SHOWN: i64 = 1_000;
/// The longest notification message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4_000;

/// The app `app_id` acting for `uid`.
pub fn caller(app_id: &str, uid: &str) -> Caller {
    Caller::new(
        uid,
        Metadata::new(
            uid,
            Actor::App(app_id.to_string()),
            Metadata::new_correlation_id(),
        ),
    )
}

/// The conversation an app's text makes (spec §7.2: `source` is `external_integration`; `started_at` now,
/// `finished_at` five minutes later, language `en` by default); 422 for a text that cannot be one. Nothing is
/// written: [`write_conversation`] does.
pub fn conversation_import(caller: &Caller, input: TextImportInput) -> ApiResult<Import> {
    input.into_import(&caller.uid, ConversationSource::ExternalIntegration, now())
}

/// Writes the conversation of [`conversation_import`] and waits for the pipeline.
pub async fn write_conversation(
    state: &AppState,
    caller: &Caller,
    import: Import,
) -> ApiResult<()> {
    app_conversations::import_processed(state, caller, import).await?;
    Ok(())
}

/// The body of `POST /v2/integrations/{app_id}/user/memories`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct MemoriesImport {
    /// A text to extract memories from.
    #[serde(default)]
    pub text: Option<String>,
    /// `email`, `social_post` or `other` (the default).
    #[serde(default)]
    pub text_source: Option<String>,
    #[serde(default)]
    pub text_source_spec: Option<String>,
    /// Memories to save as they are.
    #[serde(default)]
    pub memories: Vec<ExplicitMemory>,
}

/// One memory an app writes as it is.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ExplicitMemory {
    pub content: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// The text sources of a memories import.
const MEMORY_TEXT_SOURCES: [&str; 3] = ["email", "social_post", "other"];

/// The checks of a memories import that need no store: text or memories given, a known `text_source`, a text
/// within bounds and without NUL.
pub fn check_memories_import(input: &MemoriesImport) -> ApiResult<()> {
    let text = input
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if text.is_none() && input.memories.is_empty() {
        return Err(ApiError::invalid(
            "body",
            "Either text or memories must be provided",
        ));
    }
    if let Some(source) = input.text_source.as_deref() {
        if !MEMORY_TEXT_SOURCES.contains(&source) {
            return Err(ApiError::invalid(
                "body.text_source",
                format!(
                    "text_source must be one of {}",
                    MEMORY_TEXT_SOURCES.join(", ")
                ),
            ));
        }
    }
    if let Some(text) = text {
        if text.chars().count() > imports::MAX_TEXT_CHARS || text.contains('\0') {
            return Err(ApiError::invalid(
                "body.text",
                format!(
                    "text must hold at most {} characters and no NUL",
                    imports::MAX_TEXT_CHARS
                ),
            ));
        }
    }
    Ok(())
}

/// Saves the app's explicit memories and those the model extracts from its text, all linked to the app;
/// 422 when both are empty, or for a bad memory or text source (nothing is saved then).
pub async fn create_memories(
    state: &AppState,
    caller: &Caller,
    input: MemoriesImport,
) -> ApiResult<usize> {
    check_memories_import(&input)?;
    let text = input
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let mut inputs: Vec<MemoryInput> = input
        .memories
        .into_iter()
        .map(|memory| MemoryInput {
            content: memory.content,
            category: None,
            visibility: None,
            tags: memory.tags,
        })
        .collect();
    if let Some(text) = text {
        let analysis = state
            .model
            .analyze(&ConversationInput::from_text(
                text,
                TextSource::OtherText,
                now(),
            ))
            .await
            .map_err(|e| ApiError::Unavailable(format!("Memory extraction failed: {e}")))?;
        inputs.extend(analysis.memories.into_iter().map(|memory| MemoryInput {
            content: memory.content,
            category: Some(memory.category),
            visibility: None,
            tags: Vec::new(),
        }));
    }
    if inputs.is_empty() {
        return Ok(0);
    }
    let created =
        memories::create_batch(state, caller, inputs, &IMPORT_RULES, "body.memories").await?;
    Ok(created.len())
}

/// A conversation as the import API shows it (the reference's `ConversationItem`; nulls left out).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConversationItem {
    pub id: String,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    pub source: ConversationSource,
    pub structured: ItemStructured,
    pub transcript_segments: Vec<ItemSegment>,
    pub discarded: bool,
    pub language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_data: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geolocation: Option<Geolocation>,
    pub status: ConversationStatus,
}

/// The structured part of a conversation item.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ItemStructured {
    pub title: String,
    pub overview: String,
    pub emoji: String,
    pub category: String,
    pub action_items: Vec<ItemActionItem>,
    pub events: Vec<Value>,
}

/// An action item of a conversation item.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ItemActionItem {
    pub description: String,
    pub completed: bool,
    pub deleted: bool,
}

/// A transcript segment of a conversation item.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ItemSegment {
    pub text: String,
    pub speaker: String,
    pub is_user: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    pub start: f64,
    pub end: f64,
}

impl From<&TranscriptSegment> for ItemSegment {
    fn from(segment: &TranscriptSegment) -> Self {
        Self {
            text: segment.text.clone(),
            speaker: segment.speaker.clone(),
            is_user: segment.is_user,
            person_id: segment.person_id.clone(),
            start: segment.start,
            end: segment.end,
        }
    }
}

/// How many segments an item shows: `-1` all, else 0 to [`MAX_SEGMENTS_SHOWN`] (422 otherwise).
pub fn segments_shown(max_transcript_segments: Option<i64>) -> ApiResult<Option<usize>> {
    match max_transcript_segments.unwrap_or(100) {
        -1 => Ok(None),
        n if (0..=MAX_SEGMENTS_SHOWN).contains(&n) => Ok(Some(n as usize)),
        _ => Err(ApiError::invalid(
            "query.max_transcript_segments",
            format!("must be -1 (all) or between 0 and {MAX_SEGMENTS_SHOWN}"),
        )),
    }
}

/// `view` as an item with at most `shown` segments; a locked conversation shows its summary only.
pub fn item(view: &ConversationView, shown: Option<usize>) -> ConversationItem {
    let structured = &view.structured;
    let segments = match (view.is_locked, view.transcript_segments.as_deref()) {
        (false, Some(segments)) => segments
            .iter()
            .take(shown.unwrap_or(usize::MAX))
            .map(ItemSegment::from)
            .collect(),
        _ => Vec::new(),
    };
    ConversationItem {
        id: view.id.clone(),
        created_at: view.created_at,
        started_at: view.started_at,
        finished_at: view.finished_at,
        source: view.source,
        structured: ItemStructured {
            title: structured.title.clone(),
            overview: structured.overview.clone(),
            emoji: structured.emoji.clone(),
            category: structured.category.clone(),
            action_items: structured
                .action_items
                .iter()
                .map(|item| ItemActionItem {
                    description: item.description.clone(),
                    completed: item.completed,
                    deleted: false,
                })
                .collect(),
            events: structured
                .events
                .iter()
                .filter_map(|event| serde_json::to_value(event).ok())
                .collect(),
        },
        transcript_segments: segments,
        discarded: view.discarded,
        language: view.language.clone(),
        external_data: view.external_data.clone(),
        geolocation: view.geolocation.clone(),
        status: view.status,
    }
}

/// What `GET /v2/integrations/{app_id}/conversations` filters on.
#[derive(Debug, Default)]
pub struct ConversationsQuery {
    pub include_discarded: bool,
    /// Comma-separated statuses; empty means every status.
    pub statuses: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub max_transcript_segments: Option<i64>,
}

/// A page of the user's conversations as items, newest first; 400 for a bad date or status.
pub async fn read_conversations(
    state: &AppState,
    uid: &str,
    query: ConversationsQuery,
    page: Page,
) -> ApiResult<Vec<ConversationItem>> {
    let shown = segments_shown(query.max_transcript_segments)?;
    let range = DayRange::parse(query.start_date.as_deref(), query.end_date.as_deref())?;
    let mut statuses = Vec::new();
    for name in query
        .statuses
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        statuses.push(
            ConversationStatus::parse(name)
                .ok_or_else(|| ApiError::BadRequest(format!("Invalid status {name:?}")))?,
        );
    }
    let filter = ConversationFilter {
        statuses,
        include_discarded: query.include_discarded,
        start: range.start,
        end: range.end,
        ..ConversationFilter::default()
    };
    let listed =
        conversations::list(&state.database, uid, &filter, page.limit, page.offset).await?;
    let ids: Vec<String> = listed.iter().map(|c| c.id.clone()).collect();
    let full = conversations::get_many(&state.database, uid, &ids).await?;
    Ok(listed
        .iter()
        .map(|row| {
            let view = full.iter().find(|f| f.id == row.id).unwrap_or(row);
            item(view, shown)
        })
        .collect())
}

/// The message of an app notification, trimmed; 422 when empty, too long or holding NUL.
pub fn checked_message(message: &str) -> ApiResult<&str> {
    let message = message.trim();
    if message.is_empty() || message.chars().count() > MAX_MESSAGE_CHARS || message.contains('\0') {
        return Err(ApiError::invalid(
            "message",
            format!("message must hold 1 to {MAX_MESSAGE_CHARS} characters and no NUL"),
        ));
    }
    Ok(message)
}

/// Sends the user a notification from the app (title: the app's name); 422 for a message
/// [`checked_message`] refuses. When the app's integration turned chat messages on, the message is also the app's
/// chat message: in its own chat (`chat_messages_target` `app`, the default) or in the main chat, prefixed with
/// `[<App name>]: ` (`main`).
pub async fn notify(
    state: &AppState,
    caller: &Caller,
    app: &AppRecord,
    message: &str,
) -> ApiResult<()> {
    let message = checked_message(message)?;
    let app_id = app.id.as_str();
    let name = &app.definition.name;
    let content = NotificationContent {
        title: name.clone(),
        body: message.to_string(),
        data: [
            ("type".to_string(), "app".to_string()),
            ("app_id".to_string(), app_id.to_string()),
            ("navigate_to".to_string(), format!("/chat/{app_id}")),
        ]
        .into(),
    };
    sending::send(
        state,
        &caller.metadata,
        &caller.uid,
        content,
        NotificationSource::App,
        Some(app_id.to_string()),
    )
    .await?;
    let chat = app
        .definition
        .external_integration
        .as_ref()
        .filter(|integration| integration.chat_messages_enabled);
    if let Some(integration) = chat {
        let (context, text) = match integration.chat_messages_target.as_deref() {
            Some("main") => (None, format!("[{name}]: {message}")),
            _ => (Some(app_id.to_string()), message.to_string()),
        };
        let command = ChatCommand::GiveAiAnswer {
            uid: caller.uid.clone(),
            app_id: context.clone(),
            message_id: Uuid::new_v4().to_string(),
            text,
            memories_id: Vec::new(),
            kind: MessageType::Text,
            at: now(),
        };
        let thread = thread_id(&caller.uid, context.as_deref());
        state
            .execute::<ChatThread>(&thread, command, &caller.metadata)
            .await?;
    }
    Ok(())
}
