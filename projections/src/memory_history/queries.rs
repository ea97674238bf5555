//! Reads a memory's history and folds it into the state after each version.

use omi_store::Database;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::runtime::ProjectionError;

/// One version of a memory: the event that made it, when and by whom, what it changed, and the memory as it
/// stood afterwards (`null` after a deletion).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryVersion {
    pub version: i64,
    pub event: String,
    pub at: String,
    pub actor: String,
    pub changes: Value,
    pub memory: Value,
}

/// The whole history of one memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryHistory {
    pub memory_id: String,
    pub deleted: bool,
    pub versions: Vec<MemoryVersion>,
}

#[derive(Deserialize)]
struct Entry {
    version: i64,
    event: String,
    at: String,
    actor: String,
    changes: Value,
}

/// The fields of the memory that a version shows.
const SHOWN: &[&str] = &[
    "content",
    "category",
    "visibility",
    "tags",
    "reviewed",
    "user_review",
];

/// Every version of the memory `id` of user `uid`, oldest first; `None` when the user never had it.
pub async fn history(
    database: &Database,
    uid: &str,
    id: &str,
) -> Result<Option<MemoryHistory>, ProjectionError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT doc FROM memory_versions WHERE memory_id = $1 AND uid = $2 ORDER BY version",
    )
    .bind(id)
    .bind(uid)
    .fetch_all(database.pool())
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut state: Option<Map<String, Value>> = None;
    let mut versions = Vec::with_capacity(rows.len());
    for (doc,) in rows {
        let entry: Entry = serde_json::from_str(&doc)?;
        state = fold(state, &entry);
        versions.push(MemoryVersion {
            version: entry.version,
            event: entry.event,
            at: entry.at,
            actor: entry.actor,
            changes: entry.changes,
            memory: state.clone().map(Value::Object).unwrap_or(Value::Null),
        });
    }
    Ok(Some(MemoryHistory {
        memory_id: id.to_string(),
        deleted: state.is_none(),
        versions,
    }))
}

fn fold(state: Option<Map<String, Value>>, entry: &Entry) -> Option<Map<String, Value>> {
    let changes = entry.changes.as_object();
    match entry.event.as_str() {
        "MemoryCreated" => Some(
            SHOWN
                .iter()
                .map(|field| {
                    let value = changes
                        .and_then(|c| c.get(*field))
                        .cloned()
                        .unwrap_or(Value::Null);
                    (field.to_string(), value)
                })
                .collect(),
        ),
        "MemoryDeleted" => None,
        "MemoryReviewed" => state.map(|mut memory| {
            memory.insert("reviewed".into(), Value::Bool(true));
            let value = changes
                .and_then(|c| c.get("value"))
                .cloned()
                .unwrap_or(Value::Null);
            memory.insert("user_review".into(), value);
            memory
        }),
        _ => state.map(|mut memory| {
            for (field, value) in changes.into_iter().flatten() {
                if SHOWN.contains(&field.as_str()) {
                    memory.insert(field.clone(), value.clone());
                }
            }
            memory
        }),
    }
}
