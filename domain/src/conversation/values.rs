//! Value objects of a conversation: where it came from, where it stands, who may see it, its category.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// The device or integration that produced a conversation. Unknown names read as `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationSource {
    Friend,
    #[default]
    Omi,
    Fieldy,
    Bee,
    Plaud,
    Frame,
    FriendCom,
    AppleWatch,
    Phone,
    PhoneCall,
    Desktop,
    Openglass,
    Screenpipe,
    Workflow,
    Sdcard,
    ExternalIntegration,
    Limitless,
    RaybanMeta,
    Onboarding,
    Unknown,
}

impl ConversationSource {
    /// Every source.
    pub const ALL: [ConversationSource; 20] = [
        Self::Friend,
        Self::Omi,
        Self::Fieldy,
        Self::Bee,
        Self::Plaud,
        Self::Frame,
        Self::FriendCom,
        Self::AppleWatch,
        Self::Phone,
        Self::PhoneCall,
        Self::Desktop,
        Self::Openglass,
        Self::Screenpipe,
        Self::Workflow,
        Self::Sdcard,
        Self::ExternalIntegration,
        Self::Limitless,
        Self::RaybanMeta,
        Self::Onboarding,
        Self::Unknown,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Friend => "friend",
            Self::Omi => "omi",
            Self::Fieldy => "fieldy",
            Self::Bee => "bee",
            Self::Plaud => "plaud",
            Self::Frame => "frame",
            Self::FriendCom => "friend_com",
            Self::AppleWatch => "apple_watch",
            Self::Phone => "phone",
            Self::PhoneCall => "phone_call",
            Self::Desktop => "desktop",
            Self::Openglass => "openglass",
            Self::Screenpipe => "screenpipe",
            Self::Workflow => "workflow",
            Self::Sdcard => "sdcard",
            Self::ExternalIntegration => "external_integration",
            Self::Limitless => "limitless",
            Self::RaybanMeta => "rayban_meta",
            Self::Onboarding => "onboarding",
            Self::Unknown => "unknown",
        }
    }

    /// Reads a wire name; anything unknown is `unknown`.
    pub fn from_input(name: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .unwrap_or(Self::Unknown)
    }
}

impl<'de> Deserialize<'de> for ConversationSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::from_input(&String::deserialize(deserializer)?))
    }
}

/// Where a conversation stands in its lifecycle (spec §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    InProgress,
    Processing,
    Merging,
    Completed,
    Failed,
}

impl ConversationStatus {
    /// Every status.
    pub const ALL: [ConversationStatus; 5] = [
        Self::InProgress,
        Self::Processing,
        Self::Merging,
        Self::Completed,
        Self::Failed,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Processing => "processing",
            Self::Merging => "merging",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    /// Parses a wire name exactly.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// Who may read a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationVisibility {
    #[default]
    Private,
    Shared,
    Public,
}

impl ConversationVisibility {
    /// Parses a wire name exactly.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "private" => Some(Self::Private),
            "shared" => Some(Self::Shared),
            "public" => Some(Self::Public),
            _ => None,
        }
    }
}

/// The 33 conversation categories of the spec (`CategoryEnum`).
pub const CATEGORIES: [&str; 33] = [
    "personal",
    "education",
    "health",
    "finance",
    "legal",
    "philosophy",
    "spiritual",
    "science",
    "entrepreneurship",
    "parenting",
    "romantic",
    "travel",
    "inspiration",
    "technology",
    "business",
    "social",
    "work",
    "sports",
    "politics",
    "literature",
    "history",
    "architecture",
    "music",
    "weather",
    "news",
    "entertainment",
    "psychology",
    "real",
    "design",
    "family",
    "economics",
    "environment",
    "other",
];

/// A category as stored: a known one (trimmed, any case; the enum member name `romance` is read as
/// `romantic`), or `other` for anything else, as the reference coerces model output.
pub fn coerce_category(name: &str) -> String {
    let name = name.trim().to_ascii_lowercase();
    let name = if name == "romance" {
        "romantic".to_string()
    } else {
        name
    };
    if CATEGORIES.contains(&name.as_str()) {
        name
    } else {
        "other".to_string()
    }
}

/// Where a conversation took place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Geolocation {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub google_place_id: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub location_type: Option<String>,
}
