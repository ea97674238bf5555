//! `GET /v1/trends`: the rows of `trend_mentions` counted per category, type and topic.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use omi_domain::trend::{topic_id, trend_id, TrendCategory, TrendType};
use omi_store::Database;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::view::ConversationTrends;
use crate::runtime::ProjectionError;
use crate::time::iso;

/// One trend record: a category and a type with the topics spoken of so (spec §7.11).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Trend {
    /// Derived from the category and the type: the same on every replay.
    pub id: String,
    pub category: TrendCategory,
    #[serde(rename = "type")]
    pub kind: TrendType,
    /// When its oldest counted mention was recorded.
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
    /// Most contributing conversations first, then by topic.
    pub topics: Vec<TrendTopic>,
}

/// A topic of a trend and how many conversations contribute to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrendTopic {
    /// Derived from the category, the type and the topic: the same on every replay.
    pub id: String,
    pub topic: String,
    /// The number of contributing conversations (the reference's name for it).
    pub memories_count: u64,
}

/// One trend being counted: its oldest mention's time, and the conversations per topic.
type Counted = (DateTime<Utc>, BTreeMap<String, u64>);

/// Every trend with at least one topic, by category (in the spec's order) and type (best first).
pub async fn trends(database: &Database) -> Result<Vec<Trend>, ProjectionError> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT doc FROM trend_mentions")
        .fetch_all(database.pool())
        .await?;
    let mut counted: BTreeMap<(TrendCategory, TrendType), Counted> = BTreeMap::new();
    for (doc,) in rows {
        let conversation: ConversationTrends = serde_json::from_str(&doc)?;
        for mention in conversation.mentions {
            let (created_at, topics) = counted
                .entry((mention.category, mention.kind))
                .or_insert((conversation.created_at, BTreeMap::new()));
            *created_at = (*created_at).min(conversation.created_at);
            *topics.entry(mention.topic).or_default() += 1;
        }
    }
    Ok(counted
        .into_iter()
        .map(|((category, kind), (created_at, topics))| {
            let mut topics: Vec<TrendTopic> = topics
                .into_iter()
                .map(|(topic, memories_count)| TrendTopic {
                    id: topic_id(category, kind, &topic),
                    topic,
                    memories_count,
                })
                .collect();
            // Stable: ties stay in topic order.
            topics.sort_by_key(|topic| std::cmp::Reverse(topic.memories_count));
            Trend {
                id: trend_id(category, kind),
                category,
                kind,
                created_at,
                topics,
            }
        })
        .collect())
}
