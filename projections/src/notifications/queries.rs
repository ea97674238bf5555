//! Reads of the `notifications` table.

use omi_store::Database;

use super::NotificationView;
use crate::runtime::ProjectionError;

/// A page of the user's notifications, newest first.
pub async fn list(
    database: &Database,
    uid: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<NotificationView>, ProjectionError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT doc FROM notifications WHERE uid = $1 ORDER BY created_at DESC, id DESC
         LIMIT $2 OFFSET $3",
    )
    .bind(uid)
    .bind(limit)
    .bind(offset)
    .fetch_all(database.pool())
    .await?;
    rows.into_iter()
        .map(|(doc,)| Ok(serde_json::from_str(&doc)?))
        .collect()
}

/// The user's notification with this id; another user's is not found.
pub async fn get(
    database: &Database,
    uid: &str,
    id: &str,
) -> Result<Option<NotificationView>, ProjectionError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT doc FROM notifications WHERE id = $1 AND uid = $2")
            .bind(id)
            .bind(uid)
            .fetch_optional(database.pool())
            .await?;
    row.map(|(doc,)| Ok(serde_json::from_str(&doc)?))
        .transpose()
}
