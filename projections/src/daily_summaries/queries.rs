//! Reads of the daily summaries.

use chrono::NaiveDate;
use omi_store::Database;

use super::view::StoredSummary;
use super::DailySummaryView;
use crate::runtime::ProjectionError;

fn view(doc: &str) -> Result<DailySummaryView, ProjectionError> {
    Ok(serde_json::from_str::<StoredSummary>(doc)?.view)
}

/// A page of the user's summaries, newest day first.
pub async fn list(
    database: &Database,
    uid: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<DailySummaryView>, ProjectionError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT doc FROM daily_summaries WHERE uid = $1 AND deleted = $2
         ORDER BY date DESC, id LIMIT $3 OFFSET $4",
    )
    .bind(uid)
    .bind(false)
    .bind(limit.max(0))
    .bind(offset.max(0))
    .fetch_all(database.pool())
    .await?;
    rows.iter().map(|(doc,)| view(doc)).collect()
}

/// One of the user's summaries; `None` when there is none by that id, it was deleted, or it is another user's.
pub async fn get(
    database: &Database,
    uid: &str,
    id: &str,
) -> Result<Option<DailySummaryView>, ProjectionError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT doc FROM daily_summaries WHERE id = $1 AND uid = $2 AND deleted = $3",
    )
    .bind(id)
    .bind(uid)
    .bind(false)
    .fetch_optional(database.pool())
    .await?;
    row.map(|(doc,)| view(&doc)).transpose()
}

/// A summary its owner shared, whoever asks; `None` unless it exists, is live and is shared.
pub async fn shared(
    database: &Database,
    id: &str,
) -> Result<Option<DailySummaryView>, ProjectionError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT doc FROM daily_summaries WHERE id = $1 AND deleted = $2 AND visibility = 'shared'",
    )
    .bind(id)
    .bind(false)
    .fetch_optional(database.pool())
    .await?;
    row.map(|(doc,)| view(&doc)).transpose()
}

/// The users whose summary of `date` was written, deleted ones included.
pub async fn written_on(
    database: &Database,
    date: NaiveDate,
) -> Result<Vec<String>, ProjectionError> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT uid FROM daily_summaries WHERE date = $1")
        .bind(date.to_string())
        .fetch_all(database.pool())
        .await?;
    Ok(rows.into_iter().map(|(uid,)| uid).collect())
}
