//! What a daily summary says (spec §2.12): the written parts (headline, overview, highlights …) and the counted
//! ones (stats), as the events record them and the API shows them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Who may read a summary: its owner only, or anyone with its id (`GET /v1/daily-summaries/{id}/shared`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SummaryVisibility {
    #[default]
    Private,
    Shared,
}

impl SummaryVisibility {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            SummaryVisibility::Private => "private",
            SummaryVisibility::Shared => "shared",
        }
    }

    /// `private` or `shared`; anything else is `None`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "private" => Some(SummaryVisibility::Private),
            "shared" => Some(SummaryVisibility::Shared),
            _ => None,
        }
    }
}

/// The day in numbers, counted from the user's data (never written by a model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct DayStats {
    pub total_conversations: u32,
    pub total_duration_minutes: u32,
    pub action_items_count: u32,
}

/// One topic of the day and the conversations it came up in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Highlight {
    pub topic: String,
    pub emoji: String,
    pub summary: String,
    pub conversation_ids: Vec<String>,
}

/// How pressing an action item of the day is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    High,
    Medium,
    Low,
}

/// Words of an action item that make it pressing whatever its due date.
const URGENT_WORDS: &[&str] = &["urgent", "asap", "immediately", "right away", "deadline"];

impl Priority {
    /// How pressing an item of a day that ends at `day_ends_at` is: high when it is due before the next day
    /// ends or says it is urgent, medium with a later due date, low without one.
    pub fn of_item(description: &str, due_at: Option<Timestamp>, day_ends_at: Timestamp) -> Self {
        let lower = description.to_lowercase();
        let urgent = URGENT_WORDS.iter().any(|word| lower.contains(word));
        match due_at {
            _ if urgent => Priority::High,
            Some(due) if due < day_ends_at + chrono::TimeDelta::days(1) => Priority::High,
            Some(_) => Priority::Medium,
            None => Priority::Low,
        }
    }
}

/// An action item that came out of the day's conversations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SummaryActionItem {
    pub description: String,
    pub priority: Priority,
    pub completed: bool,
    pub source_conversation_id: Option<String>,
}

/// A question raised during the day and left open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UnresolvedQuestion {
    pub question: String,
    pub conversation_id: String,
}

/// Something the user settled during the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Decision {
    pub decision: String,
    pub conversation_id: String,
}

/// Something learned during the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KnowledgeNugget {
    pub insight: String,
    pub conversation_id: String,
}

/// Where a conversation of the day took place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SummaryLocation {
    pub name: Option<String>,
    pub address: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    pub conversation_id: Option<String>,
    #[serde(deserialize_with = "crate::timestamp::deserialize")]
    pub time: Timestamp,
}

/// Everything a summary says about its day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DailySummaryContent {
    pub headline: String,
    pub overview: String,
    pub day_emoji: String,
    pub stats: DayStats,
    pub highlights: Vec<Highlight>,
    pub action_items: Vec<SummaryActionItem>,
    pub unresolved_questions: Vec<UnresolvedQuestion>,
    pub decisions_made: Vec<Decision>,
    pub knowledge_nuggets: Vec<KnowledgeNugget>,
    pub locations: Vec<SummaryLocation>,
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn an_item_due_by_the_end_of_the_next_day_or_urgent_is_high() {
        let day_ends = Utc.with_ymd_and_hms(2026, 12, 2, 0, 0, 0).unwrap();
        let soon = Utc.with_ymd_and_hms(2026, 12, 2, 18, 0, 0).unwrap();
        let later = Utc.with_ymd_and_hms(2026, 12, 9, 9, 0, 0).unwrap();
        assert_eq!(
            Priority::of_item("Send the deck", Some(soon), day_ends),
            Priority::High
        );
        assert_eq!(
            Priority::of_item("Send the deck", Some(later), day_ends),
            Priority::Medium
        );
        assert_eq!(
            Priority::of_item("Send the deck", None, day_ends),
            Priority::Low
        );
        assert_eq!(
            Priority::of_item("Fix the leak ASAP", None, day_ends),
            Priority::High
        );
    }
}
