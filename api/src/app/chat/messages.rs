//! Chat messages as every door answers them (spec §2.8 Message and ResponseMessage): the stored message with
//! the conversations it cites.

use chrono::{DateTime, Utc};
use omi_domain::chat::MessageType;
use omi_projections::chat::{ChatMessageView, Sender};
use omi_projections::conversations::{self, ConversationView};
use omi_projections::time::iso;
use schemars::JsonSchema;
use serde::Serialize;

use crate::error::ApiResult;
use crate::state::AppState;

/// A cited conversation as a message shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CitedConversation {
    pub id: String,
    pub structured: CitedStructured,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
}

/// The part of a cited conversation's summary a message shows.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CitedStructured {
    pub title: String,
    pub emoji: String,
}

/// A file attached to a chat (spec §2.8 FileChat). This server stores no chat files yet: lists are empty.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FileChat {
    pub id: String,
    pub name: String,
    pub thumbnail: Option<String>,
    pub mime_type: String,
    pub openai_file_id: Option<String>,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
}

/// A chat message (spec §2.8).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Message {
    pub id: String,
    pub text: String,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
    pub sender: Sender,
    /// The app whose chat it is; `null` in the main chat.
    pub app_id: Option<String>,
    /// The legacy name of `app_id`, always equal to it.
    pub plugin_id: Option<String>,
    pub from_external_integration: bool,
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The conversations an answer cites (at most 5), in order.
    pub memories_id: Vec<String>,
    /// Those conversations that still exist, in the same order.
    pub memories: Vec<CitedConversation>,
    pub reported: bool,
    pub report_reason: Option<String>,
    pub files_id: Vec<String>,
    pub files: Vec<FileChat>,
    pub chat_session_id: Option<String>,
    pub data_protection_level: Option<String>,
    /// 1 (helpful), -1 (not helpful) or `null`.
    pub rating: Option<i8>,
}

/// A message as `POST /v2/messages` answers it (spec §2.8 ResponseMessage).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResponseMessage {
    #[serde(flatten)]
    pub message: Message,
    /// Whether the app should ask for a rating of the product (never, on this server).
    pub ask_for_nps: bool,
}

impl From<Message> for ResponseMessage {
    fn from(message: Message) -> Self {
        Self {
            message,
            ask_for_nps: false,
        }
    }
}

/// The messages with their cited conversations, read in one query; cited conversations deleted since are
/// left out of `memories` (their ids stay in `memories_id`).
pub async fn shaped(
    state: &AppState,
    uid: &str,
    views: Vec<ChatMessageView>,
) -> ApiResult<Vec<Message>> {
    let mut ids: Vec<String> = views
        .iter()
        .flat_map(|view| view.memories_id.iter().cloned())
        .collect();
    ids.sort();
    ids.dedup();
    let cited = conversations::get_many(&state.database, uid, &ids).await?;
    Ok(views
        .into_iter()
        .map(|view| {
            let memories = cite(&cited, &view.memories_id);
            Message {
                chat_session_id: Some(view.chat_session_id()),
                id: view.id,
                text: view.text,
                created_at: view.created_at,
                sender: view.sender,
                plugin_id: view.app_id.clone(),
                app_id: view.app_id,
                from_external_integration: false,
                kind: view.kind,
                memories_id: view.memories_id,
                memories,
                reported: view.reported,
                report_reason: view.report_reason,
                files_id: Vec::new(),
                files: Vec::new(),
                data_protection_level: None,
                rating: view.rating,
            }
        })
        .collect())
}

/// The conversations `ids` that still exist, in the order of `ids`.
pub async fn cited_conversations(
    state: &AppState,
    uid: &str,
    ids: &[String],
) -> ApiResult<Vec<CitedConversation>> {
    let found = conversations::get_many(&state.database, uid, ids).await?;
    Ok(cite(&found, ids))
}

fn cite(found: &[ConversationView], ids: &[String]) -> Vec<CitedConversation> {
    ids.iter()
        .filter_map(|id| found.iter().find(|c| &c.id == id && !c.deleted))
        .map(|conversation| CitedConversation {
            id: conversation.id.clone(),
            structured: CitedStructured {
                title: conversation.structured.title.clone(),
                emoji: conversation.structured.emoji.clone(),
            },
            created_at: conversation.created_at,
        })
        .collect()
}

/// One message with its cited conversations.
pub async fn shaped_one(state: &AppState, uid: &str, view: ChatMessageView) -> ApiResult<Message> {
    let mut shaped = shaped(state, uid, vec![view]).await?;
    shaped
        .pop()
        .ok_or_else(|| crate::error::ApiError::Internal("a shaped message went missing".into()))
}
