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

#[cfg(test)]
mod tests {
    use super::*;
    use omi_domain::trend::{TrendCategory, TrendType};

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    fn extracted(topic: &str) -> ConversationEvent {
        ConversationEvent::TrendsExtracted {
            run: 1,
            mentions: vec![TrendMention {
                category: TrendCategory::AiProduct,
                topic: topic.into(),
                kind: TrendType::Best,
            }],
            extracted_at: at(1),
        }
    }

    #[test]
    fn a_new_result_replaces_the_mentions_and_a_deletion_drops_them() {
        let counted = ConversationTrends::evolve(None, &extracted("Claude"), at(5)).unwrap();
        assert_eq!(counted.mentions[0].topic, "Claude");
        assert_eq!(counted.created_at, at(5));
        let deleted = ConversationEvent::ConversationDeleted {
            reason: "user".into(),
            at: at(6),
        };
        assert!(ConversationTrends::reads(&deleted));
        assert_eq!(
            ConversationTrends::evolve(Some(counted.clone()), &deleted, at(6)),
            None
        );
        let renamed = ConversationEvent::TitleEdited {
            title: "x".into(),
            at: at(7),
        };
        assert!(!ConversationTrends::reads(&renamed));
        assert_eq!(
            ConversationTrends::evolve(Some(counted.clone()), &renamed, at(7)),
            Some(counted)
        );
    }

    #[test]
    fn topics_off_the_whitelist_are_never_counted() {
        assert_eq!(
            ConversationTrends::evolve(None, &extracted("Acme Oracle"), at(5)),
            None
        );
    }
}
