//! Conversations: the heart of Omi. A live capture opens an `in_progress` stub, segments stream into it, and
//! processing turns the finished transcript into a title, overview, category, action items and events
//! (spec §2.1–2.4, §3).

mod aggregate;
mod commands;
mod content;
mod decide;
mod embedding;
mod events;
mod segment;
mod state;
mod structured;
mod values;

#[cfg(test)]
mod tests;

pub use aggregate::Conversation;
pub use commands::ConversationCommand;
pub use content::ConversationContent;
pub use embedding::{text_fingerprint, Embedding, MAX_DIMENSIONS};
pub use events::ConversationEvent;
pub use segment::{
    merge_segments, normalize_spacing, speaker_id_of, speaker_label, TranscriptSegment, Translation,
};
pub use structured::{AppResult, CalendarEvent, EmbeddedActionItem, ExtractedMemory, Structured};
pub use values::{
    coerce_category, ConversationSource, ConversationStatus, ConversationVisibility, Geolocation,
    CATEGORIES,
};
