//! Appends one row to `memory_versions` per memory event.

use omi_domain::memory::MemoryEvent;
use serde_json::{json, Value};
use sqlx::AnyConnection;

use crate::runtime::{ApplyFuture, Projection, ProjectionError, RecordedEvent, StoredEvent};
use crate::sql::{placeholders, ROWS_PER_STATEMENT};
use crate::time::format;

/// The projection behind [`super::history`].
pub struct MemoryHistoryProjection;

impl Projection for MemoryHistoryProjection {
    fn name(&self) -> &'static str {
        "memory_history"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["memory_versions"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }
}

/// The stored entry: the event's own fields are "what changed".
fn entry(recorded: &RecordedEvent, event: &MemoryEvent) -> Result<String, ProjectionError> {
    let (name, changes) = match serde_json::to_value(event)? {
        Value::Object(tagged) => tagged
            .into_iter()
            .next()
            .unwrap_or((String::new(), Value::Null)),
        other => (String::new(), other),
    };
    Ok(json!({
        "version": recorded.sequence,
        "event": name,
        "at": format(&recorded.recorded_at),
        "actor": recorded.metadata.actor,
        "changes": changes,
    })
    .to_string())
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    let mut rows = Vec::new();
    for recorded in events {
        if let StoredEvent::Memory(event) = &recorded.event {
            rows.push((recorded, entry(recorded, event)?));
        }
    }
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO memory_versions (memory_id, version, uid, doc) VALUES {}",
            placeholders(chunk.len(), 4)
        );
        let mut query = sqlx::query(&sql);
        for (recorded, doc) in chunk {
            query = query
                .bind(recorded.aggregate_id.clone())
                .bind(recorded.sequence)
                .bind(recorded.metadata.uid.clone())
                .bind(doc.clone());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
