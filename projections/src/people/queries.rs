//! Reads of the `people` table.

use omi_domain::person::normalized_name;
use omi_store::Database;

use super::PersonView;
use crate::runtime::ProjectionError;

/// The user's people, oldest first.
pub async fn list(database: &Database, uid: &str) -> Result<Vec<PersonView>, ProjectionError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT doc FROM people WHERE uid = $1 ORDER BY created_at, id")
            .bind(uid)
            .fetch_all(database.pool())
            .await?;
    rows.into_iter()
        .map(|(doc,)| Ok(serde_json::from_str(&doc)?))
        .collect()
}

/// The user's person with this id; another user's is not found.
pub async fn get(
    database: &Database,
    uid: &str,
    id: &str,
) -> Result<Option<PersonView>, ProjectionError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT doc FROM people WHERE id = $1 AND uid = $2")
            .bind(id)
            .bind(uid)
            .fetch_optional(database.pool())
            .await?;
    row.map(|(doc,)| Ok(serde_json::from_str(&doc)?))
        .transpose()
}

/// The user's oldest person of this name (compared as [`normalized_name`] does).
pub async fn by_name(
    database: &Database,
    uid: &str,
    name: &str,
) -> Result<Option<PersonView>, ProjectionError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT doc FROM people WHERE uid = $1 AND normalized_name = $2 ORDER BY created_at, id LIMIT 1",
    )
    .bind(uid)
    .bind(normalized_name(name))
    .fetch_optional(database.pool())
    .await?;
    row.map(|(doc,)| Ok(serde_json::from_str(&doc)?))
        .transpose()
}
