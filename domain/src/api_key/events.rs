//! What happened to a key.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{KeyFamily, Scope};
use crate::Timestamp;

/// An event on a key's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ApiKeyEvent {
    ApiKeyCreated {
        uid: String,
        family: KeyFamily,
        name: String,
        scopes: Vec<Scope>,
        hashed_key: String,
        display_prefix: String,
        created_at: Timestamp,
    },
    ApiKeyUsed {
        used_at: Timestamp,
    },
    ApiKeyRevoked {
        revoked_at: Timestamp,
    },
}

impl DomainEvent for ApiKeyEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ApiKeyCreated { .. } => "ApiKeyCreated",
            Self::ApiKeyUsed { .. } => "ApiKeyUsed",
            Self::ApiKeyRevoked { .. } => "ApiKeyRevoked",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
