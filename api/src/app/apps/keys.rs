//! The `sk_` keys of an app (spec §7.1, used by the import API of §7.2): created by the owner and shown once,
//! stored as the SHA-256 of the secret, listed without it, revoked.

use chrono::{DateTime, Utc};
use omi_domain::app::{App, AppCommand};
use schemars::JsonSchema;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::owned;
use crate::app::validation::{check_length, Problems};
use crate::app::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time_input::now;

/// The prefix of an app key.
pub const PREFIX: &str = "sk_";
/// The label a key gets when none is given.
const DEFAULT_LABEL: &str = "API key";
/// The longest label.
const MAX_LABEL: usize = 100;

/// A key as listed (never its secret).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AppKeyView {
    pub id: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
}

/// A created key: as listed, plus the secret, shown this once.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CreatedAppKey {
    pub id: String,
    /// `sk_` and 64 hex characters; only its hash is kept.
    pub secret: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
}

/// The answer of a revocation.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Revoked {
    pub status: String,
    pub message: String,
}

/// SHA-256 hex of an app key's secret (the part after `sk_`).
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a key for the caller's app.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    app_id: &str,
    label: Option<String>,
) -> ApiResult<CreatedAppKey> {
    let label = label
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| DEFAULT_LABEL.to_string());
    let mut problems = Problems::new();
    check_length(&mut problems, "query.label", "label", &label, MAX_LABEL);
    problems.finish()?;
    owned(state, &caller.uid, app_id).await?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
    let secret = hex::encode(bytes);
    let key_id = uuid::Uuid::new_v4().to_string();
    let at = now();
    let command = AppCommand::CreateAppKey {
        uid: caller.uid.clone(),
        key_id: key_id.clone(),
        label: label.clone(),
        hashed_key: hash_secret(&secret),
        at,
    };
    state
        .execute::<App>(app_id, command, &caller.metadata)
        .await?;
    Ok(CreatedAppKey {
        id: key_id,
        secret: format!("{PREFIX}{secret}"),
        label,
        created_at: at,
    })
}

/// The live keys of the caller's app, oldest first.
pub async fn list(state: &AppState, caller: &Caller, app_id: &str) -> ApiResult<Vec<AppKeyView>> {
    let listed = owned(state, &caller.uid, app_id).await?;
    Ok(listed
        .app
        .keys
        .into_iter()
        .map(|key| AppKeyView {
            id: key.id,
            label: key.label,
            created_at: key.created_at,
        })
        .collect())
}

/// Revokes a key of the caller's app (404 when it has no such key).
pub async fn revoke(
    state: &AppState,
    caller: &Caller,
    app_id: &str,
    key_id: &str,
) -> ApiResult<Revoked> {
    let listed = owned(state, &caller.uid, app_id).await?;
    if !listed.app.keys.iter().any(|key| key.id == key_id) {
        return Err(ApiError::NotFound("API key not found".into()));
    }
    let command = AppCommand::RevokeAppKey {
        uid: caller.uid.clone(),
        key_id: key_id.to_string(),
        at: now(),
    };
    state
        .execute::<App>(app_id, command, &caller.metadata)
        .await?;
    Ok(Revoked {
        status: "ok".into(),
        message: "API key revoked".into(),
    })
}
