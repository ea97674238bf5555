//! The conversation list and the conversation documents of each user (spec §2.1, §6.1).
//!
//! One row per live conversation (deleted and merged ones are removed). The row keeps two documents: `doc`,
//! the full Conversation as `GET /v1/conversations/{id}` returns it (with `transcript_segments`), and
//! `list_doc`, the same without `transcript_segments`, which lists return (spec §6.1 allows lists to omit the
//! segments; clients treat their absence as "not loaded").

mod as_of;
mod projection;
mod queries;
mod view;

pub use as_of::conversations_of;
pub use projection::ConversationsProjection;
pub use queries::{
    created_between, get, get_many, in_progress, last_completed_id, list, list_documents,
    processing_state, public, shared, stale_in_progress, users_with_conversations_between,
    ConversationFilter, ProcessingState,
};
pub use view::{
    AppResult, ConversationView, EmbeddedActionItemView, EventView, PluginResult, StructuredView,
};
