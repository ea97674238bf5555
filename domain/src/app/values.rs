//! The app's value objects (spec §2.7): capabilities, triggers, actions, scopes, categories, the external
//! integration, and the definition an owner writes.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What an app does (`capabilities`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    Chat,
    /// Conversation summarization (the UI says "Conversations").
    Memories,
    ExternalIntegration,
    ProactiveNotification,
    Persona,
}

impl Capability {
    /// Every capability, in the order the catalog groups them.
    pub const ALL: [Capability; 5] = [
        Self::Chat,
        Self::Memories,
        Self::ExternalIntegration,
        Self::ProactiveNotification,
        Self::Persona,
    ];

    /// The wire id.
    pub fn id(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Memories => "memories",
            Self::ExternalIntegration => "external_integration",
            Self::ProactiveNotification => "proactive_notification",
            Self::Persona => "persona",
        }
    }

    /// The title the catalog shows.
    pub fn title(self) -> &'static str {
        match self {
            Self::Chat => "Chat",
            Self::Memories => "Conversations",
            Self::ExternalIntegration => "External Integration",
            Self::ProactiveNotification => "Proactive Notification",
            Self::Persona => "Persona",
        }
    }

    /// Parses a wire id exactly.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }
}

/// When an external integration's webhook is called (`triggers_on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriggerEvent {
    MemoryCreation,
    TranscriptProcessed,
    AudioBytes,
}

impl TriggerEvent {
    pub const ALL: [TriggerEvent; 3] = [
        Self::AudioBytes,
        Self::MemoryCreation,
        Self::TranscriptProcessed,
    ];

    /// The wire id.
    pub fn id(self) -> &'static str {
        match self {
            Self::MemoryCreation => "memory_creation",
            Self::TranscriptProcessed => "transcript_processed",
            Self::AudioBytes => "audio_bytes",
        }
    }
}

/// What an app may do through the import API (`external_integration.actions[].action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionType {
    CreateConversation,
    CreateFacts,
    ReadMemories,
    ReadConversations,
    ReadTasks,
}

impl ActionType {
    pub const ALL: [ActionType; 5] = [
        Self::CreateConversation,
        Self::CreateFacts,
        Self::ReadConversations,
        Self::ReadMemories,
        Self::ReadTasks,
    ];

    /// The wire id.
    pub fn id(self) -> &'static str {
        match self {
            Self::CreateConversation => "create_conversation",
            Self::CreateFacts => "create_facts",
            Self::ReadMemories => "read_memories",
            Self::ReadConversations => "read_conversations",
            Self::ReadTasks => "read_tasks",
        }
    }

    /// Parses a wire id exactly.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.id() == id)
    }
}

/// What a proactive notification may read of the user (`proactive_notification.scopes`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NotificationScope {
    UserName,
    UserFacts,
    UserContext,
    UserChat,
}

impl NotificationScope {
    pub const ALL: [NotificationScope; 4] = [
        Self::UserName,
        Self::UserFacts,
        Self::UserContext,
        Self::UserChat,
    ];

    /// The wire id.
    pub fn id(self) -> &'static str {
        match self {
            Self::UserName => "user_name",
            Self::UserFacts => "user_facts",
            Self::UserContext => "user_context",
            Self::UserChat => "user_chat",
        }
    }
}

/// The app categories (id, title) of spec §2.7.
pub const CATEGORIES: [(&str, &str); 16] = [
    ("conversation-analysis", "Conversation Analysis"),
    ("personality-emulation", "Personality Emulation"),
    ("health-and-wellness", "Health and Wellness"),
    ("education-and-learning", "Education and Learning"),
    ("communication-improvement", "Communication Improvement"),
    (
        "emotional-and-mental-support",
        "Emotional and Mental Support",
    ),
    (
        "productivity-and-organization",
        "Productivity and Organization",
    ),
    ("entertainment-and-fun", "Entertainment and Fun"),
    ("financial", "Financial"),
    ("travel-and-exploration", "Travel and Exploration"),
    ("safety-and-security", "Safety and Security"),
    ("shopping-and-commerce", "Shopping and Commerce"),
    ("social-and-relationships", "Social and Relationships"),
    ("news-and-information", "News and Information"),
    ("utilities-and-tools", "Utilities and Tools"),
    ("other", "Other"),
];

/// The title of a category id, if it is one.
pub fn category_title(id: &str) -> Option<&'static str> {
    CATEGORIES
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, title)| *title)
}

/// The only payment plan of the reference.
pub const MONTHLY_RECURRING: &str = "monthly_recurring";

/// One step of an integration's sign-up (`auth_steps[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuthStep {
    pub name: String,
    pub url: String,
}

/// One action an integration declares (`actions[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Action {
    pub action: ActionType,
}

/// How an app talks to the outside (spec §2.7 ExternalIntegration).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExternalIntegration {
    #[serde(default)]
    pub triggers_on: Option<TriggerEvent>,
    #[serde(default)]
    pub webhook_url: Option<String>,
    #[serde(default)]
    pub setup_completed_url: Option<String>,
    #[serde(default)]
    pub setup_instructions_file_path: Option<String>,
    #[serde(default)]
    pub is_instructions_url: bool,
    #[serde(default)]
    pub auth_steps: Vec<AuthStep>,
    #[serde(default)]
    pub app_home_url: Option<String>,
    #[serde(default)]
    pub actions: Vec<Action>,
    #[serde(default)]
    pub chat_tools_manifest_url: Option<String>,
    #[serde(default)]
    pub chat_messages_enabled: bool,
    /// `app` or `main`.
    #[serde(default)]
    pub chat_messages_target: Option<String>,
    #[serde(default)]
    pub chat_messages_notify: bool,
    #[serde(default)]
    pub mcp_server_url: Option<String>,
}

impl ExternalIntegration {
    /// Whether the integration declares `action`.
    pub fn allows(&self, action: ActionType) -> bool {
        self.actions.iter().any(|a| a.action == action)
    }
}

/// A tool an app offers to chat (spec §5.5), as its manifest at `chat_tools_manifest_url` describes it. The
/// model may call it; the server then calls `endpoint` with the arguments, the user and the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChatTool {
    pub name: String,
    pub description: String,
    /// An absolute URL (relative paths of the manifest are resolved against `app_home_url`).
    pub endpoint: String,
    /// `GET` (arguments in the query) or `POST`, `PUT`, `PATCH`, `DELETE` (a JSON body).
    pub method: String,
    /// The JSON Schema object of the arguments.
    pub parameters: Option<serde_json::Value>,
    pub auth_required: bool,
    /// What the user is shown while the tool runs.
    pub status_message: Option<String>,
}

/// The scopes of a proactive-notification app.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProactiveNotification {
    #[serde(default)]
    pub scopes: BTreeSet<NotificationScope>,
}

/// Everything the owner writes of an app; the server's own fields (id, owner, status, logo, stats) live beside
/// it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AppDefinition {
    pub name: String,
    pub description: String,
    pub category: String,
    pub author: String,
    #[serde(default)]
    pub email: Option<String>,
    pub capabilities: BTreeSet<Capability>,
    #[serde(default)]
    pub memory_prompt: Option<String>,
    #[serde(default)]
    pub chat_prompt: Option<String>,
    #[serde(default)]
    pub persona_prompt: Option<String>,
    #[serde(default)]
    pub external_integration: Option<ExternalIntegration>,
    #[serde(default)]
    pub proactive_notification: Option<ProactiveNotification>,
    #[serde(default)]
    pub trigger_workflow_memories: bool,
    #[serde(default)]
    pub is_paid: bool,
    /// Dollars.
    #[serde(default)]
    pub price: Option<f64>,
    #[serde(default)]
    pub payment_plan: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub source_code_url: Option<String>,
    #[serde(default)]
    pub thumbnails: Vec<String>,
}

/// A new app id: a ULID (48 bits of milliseconds, 80 random bits, Crockford base 32), as the reference gives
/// user-created apps.
pub fn new_app_id(at: crate::Timestamp) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let millis = at.timestamp_millis().max(0) as u128 & ((1 << 48) - 1);
    let random = uuid::Uuid::new_v4().as_u128() & ((1 << 80) - 1);
    let value = (millis << 80) | random;
    (0..26)
        .rev()
        .map(|index| ALPHABET[((value >> (index * 5)) & 31) as usize] as char)
        .collect()
}

/// Whether `id` could name an app: 1–64 characters of letters, digits, `-` and `_` (ULIDs and the ids of
/// imported apps).
pub fn is_app_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The stream of one user's installation of one app, and of one user's review of one app.
pub fn per_user_stream_id(app_id: &str, uid: &str) -> String {
    format!("{app_id}/{uid}")
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn app_ids_are_ulids_ordered_by_time() {
        let early = new_app_id(Utc.timestamp_opt(1_700_000_000, 0).unwrap());
        let late = new_app_id(Utc.timestamp_opt(1_800_000_000, 0).unwrap());
        assert_eq!(early.len(), 26);
        assert!(is_app_id(&early));
        assert!(early < late);
        assert_ne!(
            early,
            new_app_id(Utc.timestamp_opt(1_700_000_000, 0).unwrap())
        );
    }

    #[test]
    fn wire_ids_parse_back() {
        for capability in Capability::ALL {
            assert_eq!(Capability::parse(capability.id()), Some(capability));
        }
        for action in ActionType::ALL {
            assert_eq!(ActionType::parse(action.id()), Some(action));
        }
        assert_eq!(category_title("financial"), Some("Financial"));
        assert_eq!(category_title("popular"), None);
    }
}
