//! Value objects of a memory: its category, visibility, deterministic id and list scoring.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;

/// What kind of fact a memory holds. `interesting`, `system` and `manual` are current; the others are legacy
/// values that clients still send and that keep their own weight in [`scoring`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemoryCategory {
    Interesting,
    System,
    Manual,
    Core,
    Hobbies,
    Lifestyle,
    Interests,
    Habits,
    Work,
    Skills,
    Learnings,
    Other,
}

impl MemoryCategory {
    /// All categories, current ones first.
    pub const ALL: [MemoryCategory; 12] = [
        Self::Interesting,
        Self::System,
        Self::Manual,
        Self::Core,
        Self::Hobbies,
        Self::Lifestyle,
        Self::Interests,
        Self::Habits,
        Self::Work,
        Self::Skills,
        Self::Learnings,
        Self::Other,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interesting => "interesting",
            Self::System => "system",
            Self::Manual => "manual",
            Self::Core => "core",
            Self::Hobbies => "hobbies",
            Self::Lifestyle => "lifestyle",
            Self::Interests => "interests",
            Self::Habits => "habits",
            Self::Work => "work",
            Self::Skills => "skills",
            Self::Learnings => "learnings",
            Self::Other => "other",
        }
    }

    /// Parses a wire name exactly; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|category| category.as_str() == name)
    }

    /// The lenient reading of input: a known name (any case), or `interesting` for anything else, as the
    /// reference server does.
    pub fn from_input(name: &str) -> Self {
        Self::parse(&name.trim().to_ascii_lowercase()).unwrap_or(Self::Interesting)
    }

    /// The category of a memory that an outside writer (developer API, MCP) sends without one (spec §3.3:
    /// `system` or `interesting`). Deterministic: a memory about the user — one that speaks in the first person
    /// (I, me, my, we, our…) or names "the user" — is `system`; anything else (a fact, a piece of advice,
    /// something someone else said) is `interesting`.
    pub fn detected_from(content: &str) -> Self {
        const ABOUT_THE_USER: [&str; 14] = [
            "i", "i'm", "im", "i've", "ive", "i'd", "i'll", "me", "my", "mine", "myself", "we",
            "our", "user",
        ];
        let first_person = content
            .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
            .map(|word| word.replace('’', "'").to_lowercase())
            .map(|word| match word.strip_suffix("'s") {
                Some(owner) => owner.to_string(),
                None => word,
            })
            .any(|word| ABOUT_THE_USER.contains(&word.as_str()));
        if first_person {
            Self::System
        } else {
            Self::Interesting
        }
    }

    /// The boost of the reference scoring table; `None` where the category is not in the table.
    fn boost(self) -> Option<u32> {
        match self {
            Self::Interesting
            | Self::Core
            | Self::Hobbies
            | Self::Lifestyle
            | Self::Interests
            | Self::Work
            | Self::Skills
            | Self::Learnings => Some(1),
            Self::System | Self::Habits | Self::Other => Some(0),
            Self::Manual => None,
        }
    }
}

/// Who may see a memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    Private,
    Public,
}

impl Visibility {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::Public => "public",
        }
    }

    /// Parses a wire name exactly.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "private" => Some(Self::Private),
            "public" => Some(Self::Public),
            _ => None,
        }
    }
}

const MEMORY_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f6d_695f_6d65_6d6f_7279_5f69_645f_7631);

/// The deterministic id of a memory extracted from a conversation: the same user and content give the same
/// id, so a reaction that handles its event again does not create the memory twice, and two users never share
/// an id. A memory a client creates gets a fresh id instead: a create is never answered with another memory.
pub fn memory_id(uid: &str, content: &str) -> Uuid {
    let seed = format!("{uid}\u{1f}{}", content.trim());
    Uuid::new_v5(&MEMORY_ID_NAMESPACE, seed.as_bytes())
}

/// The list order key of spec §2.5, `"{MM}_{CCC}_{TTTTTTTTTT}"`, sorted descending: manually added first, then
/// by category weight, then newest.
pub fn scoring(manually_added: bool, category: MemoryCategory, created_at: Timestamp) -> String {
    let manual = if manually_added { 1 } else { 0 };
    let weight = category
        .boost()
        .map(|boost| format!("{:03}", 999 - boost))
        .unwrap_or_else(|| "00".to_string());
    let seconds = created_at.timestamp().max(0);
    format!("{manual:02}_{weight}_{seconds:010}")
}

/// What identifies the content an embedding was made of: the
/// [`text_fingerprint`](crate::conversation::text_fingerprint) of the content alone.
pub fn content_fingerprint(content: &str) -> u64 {
    crate::conversation::text_fingerprint(content, "", std::iter::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_person_memories_are_about_the_user() {
        for content in [
            "I like tea",
            "My sister lives in Lyon",
            "Running makes me happy",
            "I’m learning Rust",
            "User prefers mornings",
            "User’s sister lives in Lyon",
        ] {
            assert_eq!(
                MemoryCategory::detected_from(content),
                MemoryCategory::System,
                "{content}"
            );
        }
        for content in [
            "Water boils at 100 °C at sea level",
            "Ann says sleep beats coffee",
            "Iceland has no mosquitoes",
            "Improve sleep by avoiding screens (Dr. Lee)",
        ] {
            assert_eq!(
                MemoryCategory::detected_from(content),
                MemoryCategory::Interesting,
                "{content}"
            );
        }
    }
    use chrono::TimeZone;

    #[test]
    fn scoring_follows_the_reference_table() {
        let at = chrono::Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        assert_eq!(
            scoring(true, MemoryCategory::Interesting, at),
            "01_998_1700000000"
        );
        assert_eq!(
            scoring(false, MemoryCategory::System, at),
            "00_999_1700000000"
        );
        assert_eq!(
            scoring(true, MemoryCategory::Manual, at),
            "01_00_1700000000"
        );
    }

    #[test]
    fn unknown_categories_are_read_as_interesting() {
        assert_eq!(
            MemoryCategory::from_input("health"),
            MemoryCategory::Interesting
        );
        assert_eq!(MemoryCategory::from_input("Work"), MemoryCategory::Work);
    }

    #[test]
    fn memory_ids_depend_on_user_and_content() {
        assert_eq!(memory_id("u1", "likes tea"), memory_id("u1", " likes tea "));
        assert_ne!(memory_id("u1", "likes tea"), memory_id("u2", "likes tea"));
    }
}
