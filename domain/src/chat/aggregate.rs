//! The chat thread aggregate: who owns it, which session is current and what each message of that session is.

use std::collections::HashMap;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{checked_text, ChatCommand, ChatEvent, MAX_CITED};
use crate::{DomainError, Timestamp};

/// The refusal of a report of a message the user wrote.
pub const NOT_AN_AI_MESSAGE: &str = "Only AI messages can be reported";
/// The refusal of a second report of one message.
pub const ALREADY_REPORTED: &str = "Message already reported";

/// What the thread remembers of a message of the current session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct MessageState {
    /// Written by the AI (an answer or a greeting).
    from_ai: bool,
    reported: bool,
}

/// A chat thread as its stream tells it; `uid` is empty before its first message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatThread {
    uid: String,
    /// How many times the thread was cleared.
    session: u32,
    /// How many messages the thread has had, all sessions together.
    messages: u32,
    /// The messages of the current session.
    current: HashMap<String, MessageState>,
}

impl Aggregate for ChatThread {
    const TYPE: &'static str = "ChatThread";
    type Command = ChatCommand;
    type Event = ChatEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ChatCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ChatEvent) {
        match event {
            ChatEvent::HumanMessageSent {
                uid, message_id, ..
            } => self.add(uid, message_id, false),
            ChatEvent::AiAnswerGiven {
                uid, message_id, ..
            }
            | ChatEvent::InitialMessageGiven {
                uid, message_id, ..
            } => self.add(uid, message_id, true),
            ChatEvent::ThreadCleared { .. } => {
                self.session += 1;
                self.current.clear();
            }
            ChatEvent::MessageReported { message_id, .. } => {
                if let Some(message) = self.current.get_mut(&message_id) {
                    message.reported = true;
                }
            }
            ChatEvent::MessageRated { .. } => {}
        }
    }
}

impl ChatThread {
    fn add(&mut self, uid: String, message_id: String, from_ai: bool) {
        self.uid = uid;
        self.messages += 1;
        self.current.insert(
            message_id,
            MessageState {
                from_ai,
                reported: false,
            },
        );
    }

    fn decide(&self, command: ChatCommand) -> Result<Vec<ChatEvent>, DomainError> {
        match command {
            ChatCommand::SendHumanMessage {
                uid,
                app_id,
                message_id,
                text,
                at,
            } => {
                self.check_new(&uid, &message_id)?;
                checked_text(&text)?;
                Ok(vec![ChatEvent::HumanMessageSent {
                    uid,
                    app_id,
                    message_id,
                    text,
                    session: self.session,
                    number: self.messages,
                    created_at: at,
                }])
            }
            ChatCommand::GiveAiAnswer {
                uid,
                app_id,
                message_id,
                text,
                memories_id,
                kind,
                at,
            } => {
                self.check_new(&uid, &message_id)?;
                if memories_id.len() > MAX_CITED {
                    return Err(DomainError::Invalid(format!(
                        "an answer cites at most {MAX_CITED} conversations"
                    )));
                }
                if text.contains('\0') {
                    return Err(DomainError::Invalid(
                        "text must not contain NUL characters".into(),
                    ));
                }
                Ok(vec![ChatEvent::AiAnswerGiven {
                    uid,
                    app_id,
                    message_id,
                    text,
                    memories_id,
                    kind,
                    session: self.session,
                    number: self.messages,
                    created_at: at,
                }])
            }
            ChatCommand::GiveInitialMessage {
                uid,
                app_id,
                message_id,
                text,
                at,
            } => {
                self.check_new(&uid, &message_id)?;
                checked_text(&text)?;
                Ok(vec![self.greeting(
                    uid,
                    app_id,
                    message_id,
                    text,
                    self.session,
                    at,
                )])
            }
            ChatCommand::GreetEmptyThread {
                uid,
                app_id,
                message_id,
                text,
                at,
            } => {
                self.check_new(&uid, &message_id)?;
                checked_text(&text)?;
                if !self.current.is_empty() {
                    return Ok(vec![]);
                }
                Ok(vec![self.greeting(
                    uid,
                    app_id,
                    message_id,
                    text,
                    self.session,
                    at,
                )])
            }
            ChatCommand::ClearThread {
                uid,
                app_id,
                initial_message_id,
                initial_text,
                at,
            } => {
                self.check_new(&uid, &initial_message_id)?;
                checked_text(&initial_text)?;
                let cleared = ChatEvent::ThreadCleared {
                    uid: uid.clone(),
                    app_id: app_id.clone(),
                    session: self.session,
                    cleared_at: at,
                };
                let greeting = self.greeting(
                    uid,
                    app_id,
                    initial_message_id,
                    initial_text,
                    self.session + 1,
                    at,
                );
                Ok(vec![cleared, greeting])
            }
            ChatCommand::ReportMessage {
                uid,
                message_id,
                reason,
                at,
            } => {
                let message = self.message(&uid, &message_id)?;
                if !message.from_ai {
                    return Err(DomainError::Conflict(NOT_AN_AI_MESSAGE.into()));
                }
                if message.reported {
                    return Err(DomainError::Conflict(ALREADY_REPORTED.into()));
                }
                Ok(vec![ChatEvent::MessageReported {
                    uid,
                    message_id,
                    reason,
                    reported_at: at,
                }])
            }
            ChatCommand::RateMessage {
                uid,
                message_id,
                rating,
                reason,
                at,
            } => {
                self.message(&uid, &message_id)?;
                if !matches!(rating, None | Some(1) | Some(-1)) {
                    return Err(DomainError::Invalid("rating must be 1, -1 or 0".into()));
                }
                Ok(vec![ChatEvent::MessageRated {
                    uid,
                    message_id,
                    rating,
                    reason,
                    rated_at: at,
                }])
            }
        }
    }

    fn greeting(
        &self,
        uid: String,
        app_id: Option<String>,
        message_id: String,
        text: String,
        session: u32,
        at: Timestamp,
    ) -> ChatEvent {
        ChatEvent::InitialMessageGiven {
            uid,
            app_id,
            message_id,
            text,
            session,
            number: self.messages,
            created_at: at,
        }
    }

    /// A new message of `uid` may be added under `message_id`.
    fn check_new(&self, uid: &str, message_id: &str) -> Result<(), DomainError> {
        if !self.uid.is_empty() && self.uid != uid {
            return Err(DomainError::NotFound("Chat"));
        }
        if self.current.contains_key(message_id) {
            return Err(DomainError::Conflict(format!(
                "message {message_id} exists already"
            )));
        }
        Ok(())
    }

    /// The message of the current session; another user's, or one of an earlier session, is not found.
    fn message(&self, uid: &str, message_id: &str) -> Result<&MessageState, DomainError> {
        self.current
            .get(message_id)
            .filter(|_| self.uid == uid)
            .ok_or(DomainError::NotFound("Message"))
    }
}
