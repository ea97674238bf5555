//! A key as its owner sees it (never the secret).

use chrono::{DateTime, Utc};
use omi_domain::api_key::{ApiKeyEvent, KeyFamily, Scope};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::time::{iso, iso_option};

/// A live key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    /// `omi_dev_abcd...wxyz`.
    pub key_prefix: String,
    pub scopes: Vec<Scope>,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The stored row: the view plus what the API never shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredKey {
    pub view: ApiKeyView,
    pub family: KeyFamily,
    pub hashed_key: String,
}

impl StoredKey {
    /// The owner and key after `event`; `None` once revoked.
    pub(crate) fn evolve(
        id: &str,
        current: Option<(String, StoredKey)>,
        event: &ApiKeyEvent,
    ) -> Option<(String, StoredKey)> {
        match event {
            ApiKeyEvent::ApiKeyCreated {
                uid,
                family,
                name,
                scopes,
                hashed_key,
                display_prefix,
                created_at,
            } => Some((
                uid.clone(),
                StoredKey {
                    view: ApiKeyView {
                        id: id.to_string(),
                        name: name.clone(),
                        key_prefix: display_prefix.clone(),
                        scopes: scopes.clone(),
                        created_at: *created_at,
                        last_used_at: None,
                    },
                    family: *family,
                    hashed_key: hashed_key.clone(),
                },
            )),
            ApiKeyEvent::ApiKeyUsed { used_at } => current.map(|(uid, mut key)| {
                key.view.last_used_at = Some(*used_at);
                (uid, key)
            }),
            ApiKeyEvent::ApiKeyRevoked { .. } => None,
        }
    }
}
