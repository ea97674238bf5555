//! What can be asked of a chat thread.

use serde::{Deserialize, Serialize};

use super::{MessageType, RatingReason};
use crate::Timestamp;

/// A command to one chat thread (see [`super::thread_id`]). Message ids are made up by the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ChatCommand {
    /// Records the user's message (text checked by [`super::checked_text`]).
    SendHumanMessage {
        uid: String,
        app_id: Option<String>,
        message_id: String,
        text: String,
        at: Timestamp,
    },
    /// Records the AI's answer, citing at most [`super::MAX_CITED`] conversations.
    GiveAiAnswer {
        uid: String,
        app_id: Option<String>,
        message_id: String,
        text: String,
        memories_id: Vec<String>,
        kind: MessageType,
        at: Timestamp,
    },
    /// Records the AI's greeting in the current session.
    GiveInitialMessage {
        uid: String,
        app_id: Option<String>,
        message_id: String,
        text: String,
        at: Timestamp,
    },
    /// Records the AI's greeting when the current session has no message yet; otherwise nothing (so that
    /// concurrent first reads of a chat greet once).
    GreetEmptyThread {
        uid: String,
        app_id: Option<String>,
        message_id: String,
        text: String,
        at: Timestamp,
    },
    /// Ends the current session and starts a new one with the AI's greeting.
    ClearThread {
        uid: String,
        app_id: Option<String>,
        initial_message_id: String,
        initial_text: String,
        at: Timestamp,
    },
    /// Reports an AI message of the current session, once.
    ReportMessage {
        uid: String,
        message_id: String,
        reason: Option<String>,
        at: Timestamp,
    },
    /// Rates a message of the current session: 1, -1, or `None` to take a rating back.
    RateMessage {
        uid: String,
        message_id: String,
        rating: Option<i8>,
        reason: Option<RatingReason>,
        at: Timestamp,
    },
}
