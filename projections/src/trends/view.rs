//! The mentions one conversation contributes, and how each event changes them.

use chrono::{DateTime, Utc};
use omi_domain::conversation::ConversationEvent;
use omi_domain::trend::TrendMention;
use serde::{Deserialize, Serialize};

use crate::time::iso;

/// The trend mentions of one conversation, from its latest processing run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ConversationTrends {
    pub mentions: Vec<TrendMention>,
    /// When they were recorded: a trend is as old as its oldest counted mention.
    #[serde(with = "iso")]
    pub created_at: DateTime<Utc>,
}

impl ConversationTrends {
    /// The mentions after `event` (recorded at `recorded_at`); `None` when the conversation contributes none.
    pub(crate) fn evolve(
        current: Option<ConversationTrends>,
        event: &ConversationEvent,
        recorded_at: DateTime<Utc>,
    ) -> Option<ConversationTrends> {
        match event {
            ConversationEvent::TrendsExtracted { mentions, .. } => Some(ConversationTrends {
                mentions: TrendMention::distinct(mentions.iter().cloned()),
                created_at: recorded_at,
            })
            .filter(|trends| !trends.mentions.is_empty()),
            // A run's result replaces the previous run's mentions; its own follow it.
            ConversationEvent::ConversationProcessed { .. }
            | ConversationEvent::ConversationDeleted { .. }
            | ConversationEvent::ConversationMerged { .. } => None,
            _ => current,
        }
    }

    /// Whether `event` can change a conversation's mentions: the others are not read at all.
    pub(crate) fn reads(event: &ConversationEvent) -> bool {
        matches!(
            event,
            ConversationEvent::TrendsExtracted { .. }
                | ConversationEvent::ConversationProcessed { .. }
                | ConversationEvent::ConversationDeleted { .. }
                | ConversationEvent::ConversationMerged { .. }
        )
    }
}
