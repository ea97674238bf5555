//! Trends (spec §2.12, §7.11): which well-known CEOs, companies, software, hardware and AI products people speak
//! of as the best or the worst. The processing pipeline finds a conversation's [`TrendMention`]s, the
//! conversation records them (`TrendsExtracted`), and the `trends` read model counts the conversations behind
//! each topic. A topic must come from the fixed whitelist of its category ([`whitelist`]), whoever found it.

mod whitelist;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use whitelist::{topics, TOPICS};

/// What a trend is about (spec §2.12).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TrendCategory {
    Ceo,
    Company,
    SoftwareProduct,
    HardwareProduct,
    AiProduct,
}

impl TrendCategory {
    /// Every category, in the spec's order.
    pub const ALL: [TrendCategory; 5] = [
        TrendCategory::Ceo,
        TrendCategory::Company,
        TrendCategory::SoftwareProduct,
        TrendCategory::HardwareProduct,
        TrendCategory::AiProduct,
    ];

    /// The wire name (`ceo`, `company`, `software_product`, `hardware_product`, `ai_product`).
    pub fn as_str(self) -> &'static str {
        match self {
            TrendCategory::Ceo => "ceo",
            TrendCategory::Company => "company",
            TrendCategory::SoftwareProduct => "software_product",
            TrendCategory::HardwareProduct => "hardware_product",
            TrendCategory::AiProduct => "ai_product",
        }
    }

    /// The category named `name` (its wire name, any case, spaces or dashes for underscores).
    pub fn parse(name: &str) -> Option<TrendCategory> {
        let name = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// Whether a mention praises or condemns its topic (spec §2.12 `type`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TrendType {
    Best,
    Worst,
}

impl TrendType {
    /// Both types.
    pub const ALL: [TrendType; 2] = [TrendType::Best, TrendType::Worst];

    /// The wire name (`best`, `worst`).
    pub fn as_str(self) -> &'static str {
        match self {
            TrendType::Best => "best",
            TrendType::Worst => "worst",
        }
    }

    /// The type named `name` (any case).
    pub fn parse(name: &str) -> Option<TrendType> {
        let name = name.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// One conversation speaking of one whitelisted topic as the best or the worst.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TrendMention {
    pub category: TrendCategory,
    /// The topic as its whitelist spells it.
    pub topic: String,
    #[serde(rename = "type")]
    pub kind: TrendType,
}

impl TrendMention {
    /// The mention of `topic` (any case; spelled as the whitelist spells it) in `category`; `None` when the
    /// topic is not on that category's whitelist.
    pub fn whitelisted(category: TrendCategory, topic: &str, kind: TrendType) -> Option<Self> {
        let wanted = topic.trim();
        topics(category)
            .iter()
            .find(|known| known.eq_ignore_ascii_case(wanted))
            .map(|known| TrendMention {
                category,
                topic: (*known).to_string(),
                kind,
            })
    }

    /// Whether its topic is on its category's whitelist, spelled as the whitelist spells it.
    pub fn is_whitelisted(&self) -> bool {
        topics(self.category).contains(&self.topic.as_str())
    }

    /// At most one mention per category and topic (the first), whitelisted ones only, in the order given.
    pub fn distinct(mentions: impl IntoIterator<Item = TrendMention>) -> Vec<TrendMention> {
        let mut kept: Vec<TrendMention> = Vec::new();
        for mention in mentions {
            let seen = kept
                .iter()
                .any(|k| k.category == mention.category && k.topic == mention.topic);
            if mention.is_whitelisted() && !seen {
                kept.push(mention);
            }
        }
        kept
    }
}

/// Namespace of the trend ids (UUID v5), so that an id depends on nothing but what it names and every replay
/// gives the same one.
const TREND_IDS: Uuid = Uuid::from_u128(0x6f6d_6974_7265_6e64_7300_0000_0000_0001);

/// The id of the trend record of `category` and `kind`.
pub fn trend_id(category: TrendCategory, kind: TrendType) -> String {
    let name = format!("{}/{}", category.as_str(), kind.as_str());
    Uuid::new_v5(&TREND_IDS, name.as_bytes()).to_string()
}

/// The id of `topic` within the trend record of `category` and `kind`.
pub fn topic_id(category: TrendCategory, kind: TrendType, topic: &str) -> String {
    let name = format!("{}/{}/{topic}", category.as_str(), kind.as_str());
    Uuid::new_v5(&TREND_IDS, name.as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whitelisted_topics_make_mentions_spelled_as_the_whitelist_spells_them() {
        let mention =
            TrendMention::whitelisted(TrendCategory::AiProduct, " chatgpt ", TrendType::Best);
        assert_eq!(mention.unwrap().topic, "ChatGPT");
        assert!(
            TrendMention::whitelisted(TrendCategory::Ceo, "ChatGPT", TrendType::Best).is_none(),
            "a topic of another category"
        );
        assert!(TrendMention::whitelisted(
            TrendCategory::Company,
            "Acme Widgets",
            TrendType::Worst
        )
        .is_none());
    }

    #[test]
    fn distinct_keeps_the_first_mention_of_each_whitelisted_topic() {
        let best =
            TrendMention::whitelisted(TrendCategory::Company, "Apple", TrendType::Best).unwrap();
        let worst = TrendMention {
            kind: TrendType::Worst,
            ..best.clone()
        };
        let invented = TrendMention {
            topic: "Apple Inc".into(),
            ..best.clone()
        };
        assert_eq!(
            TrendMention::distinct([invented, best.clone(), worst]),
            vec![best]
        );
    }

    #[test]
    fn names_parse_in_any_case_and_ids_depend_only_on_what_they_name() {
        assert_eq!(
            TrendCategory::parse("Software Product"),
            Some(TrendCategory::SoftwareProduct)
        );
        assert_eq!(TrendType::parse("WORST"), Some(TrendType::Worst));
        assert_eq!(TrendType::parse("meh"), None);
        assert_eq!(
            trend_id(TrendCategory::Ceo, TrendType::Best),
            trend_id(TrendCategory::Ceo, TrendType::Best)
        );
        assert_ne!(
            trend_id(TrendCategory::Ceo, TrendType::Best),
            trend_id(TrendCategory::Ceo, TrendType::Worst)
        );
        assert_ne!(
            topic_id(TrendCategory::Ceo, TrendType::Best, "Tim Cook"),
            topic_id(TrendCategory::Ceo, TrendType::Best, "Sam Altman")
        );
    }
}
