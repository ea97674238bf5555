//! Reads of the `chat_messages` table.

use omi_store::Database;

use super::ChatMessageView;
use crate::runtime::ProjectionError;

/// Up to `limit` of the newest messages of the thread's current session (the session of its newest message),
/// newest first; none when the thread has no message.
pub async fn current(
    database: &Database,
    uid: &str,
    thread_id: &str,
    limit: usize,
) -> Result<Vec<ChatMessageView>, ProjectionError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT doc FROM chat_messages
         WHERE thread_id = $1 AND uid = $2
           AND session = (SELECT MAX(session) FROM chat_messages WHERE thread_id = $3 AND uid = $4)
         ORDER BY number DESC LIMIT $5",
    )
    .bind(thread_id)
    .bind(uid)
    .bind(thread_id)
    .bind(uid)
    .bind(limit as i64)
    .fetch_all(database.pool())
    .await?;
    rows.into_iter()
        .map(|(doc,)| Ok(serde_json::from_str(&doc)?))
        .collect()
}

/// The user's message `id` (of any session); another user's is not found.
pub async fn message(
    database: &Database,
    uid: &str,
    id: &str,
) -> Result<Option<ChatMessageView>, ProjectionError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT doc FROM chat_messages WHERE id = $1 AND uid = $2")
            .bind(id)
            .bind(uid)
            .fetch_optional(database.pool())
            .await?;
    row.map(|(doc,)| Ok(serde_json::from_str(&doc)?))
        .transpose()
}

/// A page of every message of the user, of every thread and session (cleared ones too), oldest first.
pub async fn of_user(
    database: &Database,
    uid: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<ChatMessageView>, ProjectionError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT doc FROM chat_messages WHERE uid = $1
         ORDER BY created_at, thread_id, number LIMIT $2 OFFSET $3",
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
