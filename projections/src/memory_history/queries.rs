//! Reads a memory's stream and folds it into the state after each version.

use cqrs_es::Aggregate;
use omi_domain::memory::{Memory, MemoryEvent};
use omi_store::{read_stream, Database, RecordedEvent, StoredEvent};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::runtime::ProjectionError;
use crate::time::format;

/// One version of a memory: the event that made it, when and by whom, what it changed, and the memory as it
/// stood afterwards (`null` after a deletion).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemoryVersion {
    pub version: i64,
    pub event: String,
    pub at: String,
    pub actor: String,
    pub changes: Value,
    pub memory: Value,
}

/// The whole history of one memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemoryHistory {
    pub memory_id: String,
    pub deleted: bool,
    pub versions: Vec<MemoryVersion>,
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
    let stream = read_stream(database, Memory::TYPE, id).await?;
    let mut state: Option<Map<String, Value>> = None;
    let mut versions = Vec::with_capacity(stream.len());
    for recorded in stream.iter().filter(|e| e.metadata.uid == uid) {
        let StoredEvent::Memory(event) = &recorded.event else {
            continue;
        };
        let mut version = version_of(recorded, event)?;
        state = fold(state, &version);
        version.memory = state.clone().map(Value::Object).unwrap_or(Value::Null);
        versions.push(version);
    }
    if versions.is_empty() {
        return Ok(None);
    }
    Ok(Some(MemoryHistory {
        memory_id: id.to_string(),
        deleted: state.is_none(),
        versions,
    }))
}

/// The version an event makes; its fields are "what changed". The memory after it is filled in by the caller.
fn version_of(
    recorded: &RecordedEvent,
    event: &MemoryEvent,
) -> Result<MemoryVersion, ProjectionError> {
    // Events serialize as `{"<EventName>": {fields}}`.
    let (event, changes) = match serde_json::to_value(event)? {
        Value::Object(tagged) if tagged.len() == 1 => tagged.into_iter().next().unwrap_or_default(),
        other => (String::new(), other),
    };
    Ok(MemoryVersion {
        version: recorded.sequence,
        event,
        at: format(&recorded.recorded_at),
        actor: recorded.metadata.actor.clone(),
        changes,
        memory: Value::Null,
    })
}

fn fold(state: Option<Map<String, Value>>, version: &MemoryVersion) -> Option<Map<String, Value>> {
    let changes = version.changes.as_object();
    match version.event.as_str() {
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
