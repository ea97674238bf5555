//! Appends one row to `memory_versions` per memory event.

use omi_domain::memory::MemoryEvent;
use sqlx::AnyConnection;

use crate::runtime::{
    ApplyFuture, CopySink, Projection, ProjectionError, Rebuild, RecordedEvent, StoredEvent,
};
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

impl MemoryHistoryProjection {
    /// The rebuild of `memory_versions` from the whole log: one row per memory event, as read.
    pub(crate) fn in_memory(&self) -> Box<dyn Rebuild> {
        Box::new(HistoryRebuild)
    }
}

struct HistoryRebuild;

impl Rebuild for HistoryRebuild {
    fn fold(
        &mut self,
        events: &[RecordedEvent],
        sink: &mut CopySink,
    ) -> Result<(), ProjectionError> {
        for recorded in events {
            if let StoredEvent::Memory(event) = &recorded.event {
                let doc = entry(recorded, event)?;
                sink.table("memory_versions", "memory_id, version, uid, doc")
                    .row(4)
                    .text(&recorded.aggregate_id)
                    .bigint(recorded.sequence)
                    .text(&recorded.metadata.uid)
                    .text(&doc);
            }
        }
        Ok(())
    }

    fn flush(&mut self, _: &mut CopySink, _: usize) -> Result<bool, ProjectionError> {
        Ok(false)
    }
}

/// The stored entry: the event's own fields are "what changed". Written field by field in the form
/// `serde_json` gives a `json!` object of the event's `to_value` (keys in byte order at every level, compact), which
/// is how entries were first written; the test below holds the two together.
fn entry(recorded: &RecordedEvent, event: &MemoryEvent) -> Result<String, ProjectionError> {
    let mut out = JsonObject::with_capacity(256 + event_size(event));
    out.field("actor", &recorded.metadata.actor)?;
    out.field("at", &format(&recorded.recorded_at))?;
    out.key("changes");
    let mut changes = JsonObject::with_capacity(event_size(event));
    let name = match event {
        MemoryEvent::MemoryCreated {
            uid,
            content,
            category,
            visibility,
            tags,
            manually_added,
            reviewed,
            user_review,
            conversation_id,
            app_id,
            created_at,
        } => {
            changes.field("app_id", app_id)?;
            changes.field("category", category)?;
            changes.field("content", content)?;
            changes.field("conversation_id", conversation_id)?;
            changes.field("created_at", created_at)?;
            changes.field("manually_added", manually_added)?;
            changes.field("reviewed", reviewed)?;
            changes.field("tags", tags)?;
            changes.field("uid", uid)?;
            changes.field("user_review", user_review)?;
            changes.field("visibility", visibility)?;
            "MemoryCreated"
        }
        MemoryEvent::MemoryEdited {
            content,
            category,
            tags,
            updated_at,
        } => {
            if let Some(category) = category {
                changes.field("category", category)?;
            }
            if let Some(content) = content {
                changes.field("content", content)?;
            }
            if let Some(tags) = tags {
                changes.field("tags", tags)?;
            }
            changes.field("updated_at", updated_at)?;
            "MemoryEdited"
        }
        MemoryEvent::MemoryReviewed { value, reviewed_at } => {
            changes.field("reviewed_at", reviewed_at)?;
            changes.field("value", value)?;
            "MemoryReviewed"
        }
        MemoryEvent::MemoryVisibilityChanged {
            visibility,
            updated_at,
        } => {
            changes.field("updated_at", updated_at)?;
            changes.field("visibility", visibility)?;
            "MemoryVisibilityChanged"
        }
        MemoryEvent::MemoryDeleted { deleted_at } => {
            changes.field("deleted_at", deleted_at)?;
            "MemoryDeleted"
        }
    };
    out.raw(&changes.finish());
    out.field("event", name)?;
    out.field("version", &recorded.sequence)?;
    String::from_utf8(out.finish())
        .map_err(|e| ProjectionError::Document(<serde_json::Error as serde::ser::Error>::custom(e)))
}

/// A rough size of an event's fields, to size the entry's buffer once.
fn event_size(event: &MemoryEvent) -> usize {
    match event {
        MemoryEvent::MemoryCreated { content, .. } => 256 + content.len(),
        MemoryEvent::MemoryEdited { content, .. } => 96 + content.as_ref().map_or(0, String::len),
        _ => 64,
    }
}

/// A compact JSON object written key by key.
struct JsonObject {
    out: Vec<u8>,
    empty: bool,
}

impl JsonObject {
    fn with_capacity(capacity: usize) -> Self {
        let mut out = Vec::with_capacity(capacity);
        out.push(b'{');
        Self { out, empty: true }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn field<T: serde::Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.key(key);
        serde_json::to_writer(&mut self.out, value)
    }

    fn raw(&mut self, json: &[u8]) {
        self.out.extend_from_slice(json);
    }

    fn finish(mut self) -> Vec<u8> {
        self.out.push(b'}');
        self.out
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use omi_domain::memory::{MemoryCategory, Visibility};
    use omi_store::{EventMetadata, LogPosition};
    use serde_json::{json, Value};

    /// How entries were first written: through `serde_json::Value`.
    fn entry_through_value(recorded: &RecordedEvent, event: &MemoryEvent) -> String {
        let (name, changes) = match serde_json::to_value(event).unwrap() {
            Value::Object(tagged) => tagged.into_iter().next().unwrap(),
            other => panic!("not a tagged event: {other}"),
        };
        json!({
            "version": recorded.sequence,
            "event": name,
            "at": format(&recorded.recorded_at),
            "actor": recorded.metadata.actor,
            "changes": changes,
        })
        .to_string()
    }

    #[test]
    fn entries_are_written_as_through_value() {
        let at = Utc.with_ymd_and_hms(2025, 3, 4, 5, 6, 7).unwrap()
            + chrono::Duration::microseconds(123_456);
        let tricky =
            "quote \" backslash \\ tab \t newline \n nul \u{0} é 日本 \u{1F600}".to_string();
        let events = vec![
            MemoryEvent::MemoryCreated {
                uid: "u\"1".into(),
                content: tricky.clone(),
                category: MemoryCategory::Interesting,
                visibility: Visibility::Public,
                tags: vec!["a".into(), tricky.clone()],
                manually_added: true,
                reviewed: false,
                user_review: Some(true),
                conversation_id: Some("c1".into()),
                app_id: None,
                created_at: at,
            },
            MemoryEvent::MemoryCreated {
                uid: "u1".into(),
                content: String::new(),
                category: MemoryCategory::System,
                visibility: Visibility::Private,
                tags: vec![],
                manually_added: false,
                reviewed: true,
                user_review: None,
                conversation_id: None,
                app_id: Some("app".into()),
                created_at: at,
            },
            MemoryEvent::MemoryEdited {
                content: Some(tricky.clone()),
                category: Some(MemoryCategory::Manual),
                tags: Some(vec!["t".into()]),
                updated_at: at,
            },
            MemoryEvent::MemoryEdited {
                content: None,
                category: None,
                tags: None,
                updated_at: at,
            },
            MemoryEvent::MemoryEdited {
                content: None,
                category: Some(MemoryCategory::Interesting),
                tags: None,
                updated_at: at,
            },
            MemoryEvent::MemoryReviewed {
                value: false,
                reviewed_at: at,
            },
            MemoryEvent::MemoryVisibilityChanged {
                visibility: Visibility::Private,
                updated_at: at,
            },
            MemoryEvent::MemoryDeleted { deleted_at: at },
        ];
        for (sequence, event) in events.into_iter().enumerate() {
            let recorded = RecordedEvent {
                position: LogPosition::START,
                aggregate_id: "m1".into(),
                sequence: sequence as i64 + 1,
                recorded_at: at,
                metadata: EventMetadata {
                    uid: "u1".into(),
                    actor: "dev_key:\"k\"".into(),
                    ..EventMetadata::default()
                },
                event: StoredEvent::Memory(event.clone()),
            };
            assert_eq!(
                entry(&recorded, &event).unwrap(),
                entry_through_value(&recorded, &event),
                "{event:?}"
            );
        }
    }
}
