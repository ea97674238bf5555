//! Reads of the key list.

use omi_domain::api_key::KeyFamily;
use omi_store::Database;

use super::view::StoredKey;
use super::ApiKeyView;
use crate::runtime::ProjectionError;

/// A live key found by its hash: its owner, family and view.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    pub uid: String,
    pub family: KeyFamily,
    pub key: ApiKeyView,
}

/// The live key with this secret hash.
pub async fn by_hash(
    database: &Database,
    hashed_key: &str,
) -> Result<Option<KeyRecord>, ProjectionError> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT uid, doc FROM api_keys WHERE hashed_key = $1")
            .bind(hashed_key)
            .fetch_optional(database.pool())
            .await?;
    row.map(|(uid, doc)| {
        let stored: StoredKey = serde_json::from_str(&doc)?;
        Ok(KeyRecord {
            uid,
            family: stored.family,
            key: stored.view,
        })
    })
    .transpose()
}

/// The user's live keys of one family, newest first.
pub async fn list(
    database: &Database,
    uid: &str,
    family: KeyFamily,
) -> Result<Vec<ApiKeyView>, ProjectionError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT doc FROM api_keys WHERE uid = $1 AND family = $2 ORDER BY created_at DESC, id",
    )
    .bind(uid)
    .bind(family.as_str())
    .fetch_all(database.pool())
    .await?;
    rows.into_iter()
        .map(|(doc,)| Ok(serde_json::from_str::<StoredKey>(&doc)?.view))
        .collect()
}
