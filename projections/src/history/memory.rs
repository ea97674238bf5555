//! The history of a memory and its state at an instant.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use omi_domain::memory::{Memory, MemoryEvent};
use omi_store::{Database, StoredEvent};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::stream::{state_at, steps, Entity};
use crate::memories::MemoryView;
use crate::runtime::ProjectionError;

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

struct Kind;

impl Entity for Kind {
    const TYPE: &'static str = Memory::TYPE;
    type Event = MemoryEvent;
    type State = MemoryView;

    /// Every event but the embedding, which changes nothing the memory shows.
    fn event(stored: &StoredEvent) -> Option<&MemoryEvent> {
        match stored {
            StoredEvent::Memory(MemoryEvent::MemoryEmbedded { .. }) => None,
            StoredEvent::Memory(event) => Some(event),
            _ => None,
        }
    }

    fn evolve(
        id: &str,
        current: Option<MemoryView>,
        event: &MemoryEvent,
        _recorded_at: DateTime<Utc>,
    ) -> Option<MemoryView> {
        MemoryView::evolve(id, current, event)
    }
}

/// Every version of the memory `id` of user `uid`, oldest first; `None` when the user never had it.
pub async fn memory_history(
    database: &Database,
    uid: &str,
    id: &str,
) -> Result<Option<MemoryHistory>, ProjectionError> {
    let Some(steps) = steps::<Kind, _>(database, uid, id, shown).await? else {
        return Ok(None);
    };
    let deleted = steps.last().is_some_and(|step| step.after.is_none());
    let versions = steps
        .into_iter()
        .map(|step| MemoryVersion {
            version: step.version,
            event: step.event,
            at: step.at,
            actor: step.actor,
            changes: step.changes,
            memory: step.after.map(Value::Object).unwrap_or(Value::Null),
        })
        .collect();
    Ok(Some(MemoryHistory {
        memory_id: id.to_string(),
        deleted,
        versions,
    }))
}

/// The memory `id` of user `uid` as `GET /v1/memories/{id}` would have answered at `at`.
pub async fn memory_as_of(
    database: &Database,
    uid: &str,
    id: &str,
    at: DateTime<Utc>,
) -> Result<Option<MemoryView>, ProjectionError> {
    state_at::<Kind>(database, uid, id, at).await
}

/// The fields of [`SHOWN`], in that order.
fn shown(memory: &MemoryView) -> Result<Map<String, Value>, ProjectionError> {
    let Value::Object(mut all) = serde_json::to_value(memory)? else {
        return Ok(Map::new());
    };
    Ok(SHOWN
        .iter()
        .map(|field| {
            let value = all.remove(*field).unwrap_or(Value::Null);
            (field.to_string(), value)
        })
        .collect())
}
