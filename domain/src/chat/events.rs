//! What happened in a chat thread.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out (see [`crate::contract`]); the stored form of every event is pinned by a fixture
//! (`domain/tests/event_contracts.rs`). `session` counts the clearings of the thread before the message, and
//! `number` places the message in the thread (0 first, across sessions).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{ChatThread, MessageType, RatingReason};
use crate::contract::stored_events;
use crate::Timestamp;

/// An event on a chat thread's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ChatEvent {
    /// The user wrote a message.
    #[serde(rename = "HumanMessageSent")]
    HumanMessageSent {
        uid: String,
        app_id: Option<String>,
        message_id: String,
        text: String,
        session: u32,
        number: u32,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        created_at: Timestamp,
    },
    /// The AI answered; `memories_id` are the conversations it cites, in order.
    #[serde(rename = "AiAnswerGiven")]
    AiAnswerGiven {
        uid: String,
        app_id: Option<String>,
        message_id: String,
        text: String,
        memories_id: Vec<String>,
        #[serde(rename = "type")]
        kind: MessageType,
        session: u32,
        number: u32,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        created_at: Timestamp,
    },
    /// The AI greeted the user.
    #[serde(rename = "InitialMessageGiven")]
    InitialMessageGiven {
        uid: String,
        app_id: Option<String>,
        message_id: String,
        text: String,
        session: u32,
        number: u32,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        created_at: Timestamp,
    },
    /// The session `session` ended: its messages are no longer part of the chat.
    #[serde(rename = "ChatThreadCleared")]
    ThreadCleared {
        uid: String,
        app_id: Option<String>,
        session: u32,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        cleared_at: Timestamp,
    },
    /// The user reported an AI message.
    #[serde(rename = "ChatMessageReported")]
    MessageReported {
        uid: String,
        message_id: String,
        reason: Option<String>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        reported_at: Timestamp,
    },
    /// The user rated a message (`None`: no rating any more).
    #[serde(rename = "ChatMessageRated")]
    MessageRated {
        uid: String,
        message_id: String,
        rating: Option<i8>,
        reason: Option<RatingReason>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        rated_at: Timestamp,
    },
}

impl ChatEvent {
    /// The message the event records or changes; `None` for a clearing.
    pub fn message_id(&self) -> Option<&str> {
        match self {
            ChatEvent::HumanMessageSent { message_id, .. }
            | ChatEvent::AiAnswerGiven { message_id, .. }
            | ChatEvent::InitialMessageGiven { message_id, .. }
            | ChatEvent::MessageReported { message_id, .. }
            | ChatEvent::MessageRated { message_id, .. } => Some(message_id),
            ChatEvent::ThreadCleared { .. } => None,
        }
    }
}

stored_events! {
    events: ChatEvent,
    aggregate_type: ChatThread::TYPE,
    stored: {
        HumanMessageSent => ("HumanMessageSent", "1.0"),
        AiAnswerGiven => ("AiAnswerGiven", "1.0"),
        InitialMessageGiven => ("InitialMessageGiven", "1.0"),
        ThreadCleared => ("ChatThreadCleared", "1.0"),
        MessageReported => ("ChatMessageReported", "1.0"),
        MessageRated => ("ChatMessageRated", "1.0"),
    }
}
