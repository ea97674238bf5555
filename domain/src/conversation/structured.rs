//! What processing makes of a conversation (spec §2.2): title, overview, emoji, category, action items, events.

use serde::{Deserialize, Serialize};

use crate::memory::MemoryCategory;
use crate::Timestamp;

/// An action item as embedded in a conversation's structured output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddedActionItem {
    pub description: String,
    #[serde(default)]
    pub completed: bool,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
}

/// A calendar-worthy event found in a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarEvent {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub start: Timestamp,
    /// Minutes.
    pub duration: u32,
    /// Flipped by the client once it added the event to the device calendar.
    #[serde(default)]
    pub created: bool,
}

/// The structured summary of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Structured {
    pub title: String,
    pub overview: String,
    pub emoji: String,
    pub category: String,
    pub action_items: Vec<EmbeddedActionItem>,
    pub events: Vec<CalendarEvent>,
}

impl Default for Structured {
    fn default() -> Self {
        Self {
            title: String::new(),
            overview: String::new(),
            emoji: "🧠".into(),
            category: "other".into(),
            action_items: Vec::new(),
            events: Vec::new(),
        }
    }
}

/// A fact about the user that processing found in a conversation; it becomes a memory linked to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractedMemory {
    pub content: String,
    pub category: MemoryCategory,
}

/// What one summarization app's `memory_prompt` made of a processed conversation (spec §2.2 `apps_results`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppResult {
    pub app_id: String,
    pub content: String,
}
