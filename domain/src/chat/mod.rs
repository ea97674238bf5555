//! Chat (spec §2.8, §6.4): one thread per user and app context (the main chat, or one per app), whose stream
//! holds the human messages, the AI answers with the conversations they cite, the initial greetings, the
//! clearing of the thread and the reports and ratings of its messages. Clearing starts a new session of the
//! thread: the messages of earlier sessions stay in the log but are no longer part of the chat.

mod aggregate;
mod commands;
mod events;
mod values;

#[cfg(test)]
mod tests;

pub use aggregate::{ChatThread, ALREADY_REPORTED, NOT_AN_AI_MESSAGE};
pub use commands::ChatCommand;
pub use events::ChatEvent;
pub use values::{
    app_context, checked_text, thread_id, MessageType, RatingReason, MAX_CITED, MAX_TEXT_CHARS,
};
