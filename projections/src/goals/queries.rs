//! Reads of a user's goals and their progress.

use chrono::{DateTime, Utc};
use omi_store::Database;

use super::view::GoalProgress;
use super::{GoalView, ProgressEntry};
use crate::runtime::ProjectionError;

/// The user's goal `id` (active or not); `None` when it is not theirs or does not exist.
pub async fn goal(
    database: &Database,
    uid: &str,
    id: &str,
) -> Result<Option<GoalView>, ProjectionError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT doc FROM goals WHERE id = $1 AND uid = $2")
        .bind(id)
        .bind(uid)
        .fetch_optional(database.pool())
        .await?;
    row.map(|(doc,)| serde_json::from_str(&doc))
        .transpose()
        .map_err(Into::into)
}

/// Up to `limit` of the user's goals, newest first; inactive ones only when `include_inactive`.
pub async fn goals(
    database: &Database,
    uid: &str,
    include_inactive: bool,
    limit: i64,
) -> Result<Vec<GoalView>, ProjectionError> {
    let sql = if include_inactive {
        "SELECT doc FROM goals WHERE uid = $1 ORDER BY created_at DESC, id LIMIT $2"
    } else {
        "SELECT doc FROM goals WHERE uid = $1 AND is_active = TRUE ORDER BY created_at DESC, id LIMIT $2"
    };
    let rows: Vec<(String,)> = sqlx::query_as(sql)
        .bind(uid)
        .bind(limit)
        .fetch_all(database.pool())
        .await?;
    rows.into_iter()
        .map(|(doc,)| serde_json::from_str(&doc).map_err(Into::into))
        .collect()
}

/// The progress values of the user's goal `id` recorded at or after `since`, oldest first; `None` when the goal
/// is not theirs or does not exist.
pub async fn progress_since(
    database: &Database,
    uid: &str,
    id: &str,
    since: DateTime<Utc>,
) -> Result<Option<Vec<ProgressEntry>>, ProjectionError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT doc FROM goal_progress WHERE id = $1 AND uid = $2")
            .bind(id)
            .bind(uid)
            .fetch_optional(database.pool())
            .await?;
    let Some((doc,)) = row else {
        return Ok(None);
    };
    let progress: GoalProgress = serde_json::from_str(&doc)?;
    Ok(Some(
        progress
            .entries
            .into_iter()
            .filter(|entry| entry.recorded_at >= since)
            .collect(),
    ))
}
