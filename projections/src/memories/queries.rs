//! Reads of the memory list.

use omi_domain::memory::MemoryCategory;
use omi_store::Database;
use sqlx::Row;

use super::MemoryView;
use crate::runtime::ProjectionError;
use crate::sql::in_list;

/// A page of the user's memories, highest `scoring` first, optionally only some categories.
pub async fn list(
    database: &Database,
    uid: &str,
    categories: &[MemoryCategory],
    limit: i64,
    offset: i64,
) -> Result<Vec<MemoryView>, ProjectionError> {
    let category_filter = if categories.is_empty() {
        String::new()
    } else {
        // Parameters $1..$3 are uid, limit and offset; the categories follow.
        format!("AND category IN ({})", in_list(4, categories.len()))
    };
    let sql = format!(
        "SELECT doc FROM memories WHERE uid = $1 {category_filter}
         ORDER BY scoring DESC, created_at DESC, id LIMIT $2 OFFSET $3"
    );
    let mut query = sqlx::query(&sql).bind(uid).bind(limit).bind(offset);
    for category in categories {
        query = query.bind(category.as_str());
    }
    let rows = query.fetch_all(database.pool()).await?;
    rows.iter()
        .map(|row| Ok(serde_json::from_str(&row.try_get::<String, _>(0)?)?))
        .collect()
}

/// One memory of the user; `None` when it does not exist, was deleted, or is another user's.
pub async fn get(
    database: &Database,
    uid: &str,
    id: &str,
) -> Result<Option<MemoryView>, ProjectionError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT doc FROM memories WHERE id = $1 AND uid = $2")
            .bind(id)
            .bind(uid)
            .fetch_optional(database.pool())
            .await?;
    Ok(row.map(|(doc,)| serde_json::from_str(&doc)).transpose()?)
}

/// The ids of all of the user's memories.
pub async fn ids_of_user(database: &Database, uid: &str) -> Result<Vec<String>, ProjectionError> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM memories WHERE uid = $1 ORDER BY id")
        .bind(uid)
        .fetch_all(database.pool())
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The ids of the user's memories that were extracted from one conversation.
pub async fn ids_of_conversation(
    database: &Database,
    uid: &str,
    conversation_id: &str,
) -> Result<Vec<String>, ProjectionError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM memories WHERE uid = $1 AND conversation_id = $2 ORDER BY id",
    )
    .bind(uid)
    .bind(conversation_id)
    .fetch_all(database.pool())
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
