//! The metadata stored with every event: whose data it is, who acted, and what caused it.

use std::collections::HashMap;

use uuid::Uuid;

/// Who or what issued a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The user, through the app or a user token.
    User,
    /// A developer API key (`omi_dev_`), by key id.
    DeveloperKey(String),
    /// An MCP key (`omi_mcp_`), by key id.
    McpKey(String),
    /// An app, by app id.
    App(String),
    /// The server itself (pipelines, sweeps, reactions).
    System,
}

impl Actor {
    /// The stored form: `user`, `system`, or `<kind>:<id>`.
    pub fn to_stored(&self) -> String {
        match self {
            Actor::User => "user".into(),
            Actor::DeveloperKey(id) => format!("developer_key:{id}"),
            Actor::McpKey(id) => format!("mcp_key:{id}"),
            Actor::App(id) => format!("app:{id}"),
            Actor::System => "system".into(),
        }
    }
}

/// What every event of one command is stored with.
#[derive(Debug, Clone)]
pub struct Metadata {
    /// The user whose data this is; per-user reads of the log use it.
    pub uid: String,
    pub actor: Actor,
    /// Ties together everything one request or reaction caused.
    pub correlation_id: String,
    /// The event that caused this command, for reactions.
    pub causation_id: Option<String>,
}

impl Metadata {
    /// Metadata for a command a user's request issues, correlated by the request id.
    pub fn new(uid: impl Into<String>, actor: Actor, correlation_id: impl Into<String>) -> Self {
        Self {
            uid: uid.into(),
            actor,
            correlation_id: correlation_id.into(),
            causation_id: None,
        }
    }

    /// Metadata for a command that a reaction issues because of `event_id`.
    pub fn caused_by(
        uid: impl Into<String>,
        event_id: impl Into<String>,
        correlation_id: impl Into<String>,
    ) -> Self {
        Self {
            uid: uid.into(),
            actor: Actor::System,
            correlation_id: correlation_id.into(),
            causation_id: Some(event_id.into()),
        }
    }

    /// A fresh correlation id, for work no request started.
    pub fn new_correlation_id() -> String {
        Uuid::new_v4().to_string()
    }

    pub(crate) fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::from([
            ("uid".to_string(), self.uid.clone()),
            ("actor".to_string(), self.actor.to_stored()),
            ("correlation_id".to_string(), self.correlation_id.clone()),
        ]);
        if let Some(causation_id) = &self.causation_id {
            map.insert("causation_id".to_string(), causation_id.clone());
        }
        map
    }
}
