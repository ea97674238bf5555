//! Key families and scopes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which API a key opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyFamily {
    /// `omi_dev_` keys for `/v1/dev/user/*`.
    Developer,
    /// `omi_mcp_` keys for `/v1/mcp/*`.
    Mcp,
}

impl KeyFamily {
    /// The prefix of the raw key.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Developer => "omi_dev_",
            Self::Mcp => "omi_mcp_",
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Developer => "developer",
            Self::Mcp => "mcp",
        }
    }
}

/// What a developer key may do (spec §1.3).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum Scope {
    #[serde(rename = "conversations:read")]
    ConversationsRead,
    #[serde(rename = "conversations:write")]
    ConversationsWrite,
    #[serde(rename = "memories:read")]
    MemoriesRead,
    #[serde(rename = "memories:write")]
    MemoriesWrite,
    #[serde(rename = "action_items:read")]
    ActionItemsRead,
    #[serde(rename = "action_items:write")]
    ActionItemsWrite,
    #[serde(rename = "goals:read")]
    GoalsRead,
    #[serde(rename = "goals:write")]
    GoalsWrite,
    /// The change feed of the developer API (`/v1/dev/user/changes`): every event of the user's log.
    #[serde(rename = "changes:read")]
    ChangesRead,
}

/// The scopes a key gets when none are asked for: read-only.
pub const READ_ONLY_SCOPES: [Scope; 3] = [
    Scope::ConversationsRead,
    Scope::MemoriesRead,
    Scope::ActionItemsRead,
];

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 9] = [
        Self::ConversationsRead,
        Self::ConversationsWrite,
        Self::MemoriesRead,
        Self::MemoriesWrite,
        Self::ActionItemsRead,
        Self::ActionItemsWrite,
        Self::GoalsRead,
        Self::GoalsWrite,
        Self::ChangesRead,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConversationsRead => "conversations:read",
            Self::ConversationsWrite => "conversations:write",
            Self::MemoriesRead => "memories:read",
            Self::MemoriesWrite => "memories:write",
            Self::ActionItemsRead => "action_items:read",
            Self::ActionItemsWrite => "action_items:write",
            Self::GoalsRead => "goals:read",
            Self::GoalsWrite => "goals:write",
            Self::ChangesRead => "changes:read",
        }
    }

    /// Parses a wire name exactly.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == name)
    }
}
