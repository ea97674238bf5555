//! A chat message as the read side keeps it.

use chrono::{DateTime, Utc};
use omi_domain::chat::{thread_id, ChatEvent, MessageType};
use serde::{Deserialize, Serialize};

use crate::documents::Owned;
use crate::time::iso;

/// Who wrote a message (spec §2.8 `sender`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    Ai,
    Human,
}

/// One message (spec §2.8 Message, without the cited conversations, which the API joins in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChatMessageView {
    pub id: String,
    pub text: String,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
    pub sender: Sender,
    /// The app context; `None` for the main chat.
    pub app_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The conversations an AI answer cites, in order.
    pub memories_id: Vec<String>,
    pub reported: bool,
    pub report_reason: Option<String>,
    /// 1, -1, or none.
    pub rating: Option<i8>,
    /// The thread's stream id.
    pub thread_id: String,
    /// How many times the thread had been cleared before this message.
    pub session: u32,
    /// The message's place in the thread, all sessions together.
    pub number: u32,
}

impl ChatMessageView {
    /// The session's id as the API names it: the thread and its session number.
    pub fn chat_session_id(&self) -> String {
        format!("{}-{}", self.thread_id, self.session)
    }

    /// The message after `event`.
    pub(crate) fn evolve(
        _id: &str,
        current: Option<Owned<ChatMessageView>>,
        event: &ChatEvent,
    ) -> Option<Owned<ChatMessageView>> {
        let added = |uid: &String,
                     app_id: &Option<String>,
                     message_id: &String,
                     text: &String,
                     sender: Sender,
                     session: u32,
                     number: u32,
                     created_at: &DateTime<Utc>| Owned {
            uid: uid.clone(),
            doc: ChatMessageView {
                id: message_id.clone(),
                text: text.clone(),
                created_at: *created_at,
                sender,
                app_id: app_id.clone(),
                kind: MessageType::Text,
                memories_id: Vec::new(),
                reported: false,
                report_reason: None,
                rating: None,
                thread_id: thread_id(uid, app_id.as_deref()),
                session,
                number,
            },
        };
        match event {
            ChatEvent::HumanMessageSent {
                uid,
                app_id,
                message_id,
                text,
                session,
                number,
                created_at,
            } => Some(added(
                uid,
                app_id,
                message_id,
                text,
                Sender::Human,
                *session,
                *number,
                created_at,
            )),
            ChatEvent::InitialMessageGiven {
                uid,
                app_id,
                message_id,
                text,
                session,
                number,
                created_at,
            } => Some(added(
                uid,
                app_id,
                message_id,
                text,
                Sender::Ai,
                *session,
                *number,
                created_at,
            )),
            ChatEvent::AiAnswerGiven {
                uid,
                app_id,
                message_id,
                text,
                memories_id,
                kind,
                session,
                number,
                created_at,
            } => {
                let mut row = added(
                    uid,
                    app_id,
                    message_id,
                    text,
                    Sender::Ai,
                    *session,
                    *number,
                    created_at,
                );
                row.doc.kind = *kind;
                row.doc.memories_id = memories_id.clone();
                Some(row)
            }
            ChatEvent::MessageReported { reason, .. } => current.map(|mut row| {
                row.doc.reported = true;
                row.doc.report_reason = reason.clone();
                row
            }),
            ChatEvent::MessageRated { rating, .. } => current.map(|mut row| {
                row.doc.rating = *rating;
                row
            }),
            ChatEvent::ThreadCleared { .. } => current,
        }
    }
}
