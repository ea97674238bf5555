//! Events written straight into a test server's log, as another version of the server, an import or a script
//! would write them.

use serde_json::json;
use sqlx::{Connection, Executor};

use crate::server::TestData;

/// A `MemoryCreated` payload as the domain stores it.
pub fn memory_created_payload(uid: &str, content: &str) -> String {
    json!({"MemoryCreated": {
        "uid": uid, "content": content, "category": "system", "visibility": "private", "tags": [],
        "manually_added": false, "reviewed": false, "user_review": null, "conversation_id": null,
        "app_id": null, "created_at": "2026-11-01T10:00:00Z"
    }})
    .to_string()
}

/// A `MemoryEdited` payload as the domain stores it.
pub fn memory_edited_payload(content: &str) -> String {
    json!({"MemoryEdited": {"content": content, "updated_at": "2026-11-02T10:00:00Z"}}).to_string()
}

/// Event metadata naming `uid` and a system actor.
pub fn system_metadata(uid: &str) -> String {
    json!({"uid": uid, "actor": "system", "correlation_id": "test"}).to_string()
}

/// One event to append, column by column.
pub struct RawEvent<'a> {
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub sequence: i64,
    /// The stored name (the payload's key, when the payload is well formed).
    pub event_type: &'a str,
    pub event_version: &'a str,
    pub payload: &'a str,
    pub metadata: &'a str,
}

/// The stored name a payload of the form `{"<stored name>": …}` names (empty for any other form).
pub fn stored_name(payload: &str) -> String {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|value| value.as_object()?.keys().next().cloned())
        .unwrap_or_default()
}

/// Appends `event` to the log of `data`'s store in a transaction of its own (the server may be running).
pub async fn append_raw_event(data: &TestData, event: RawEvent<'_>) {
    match data.database_url() {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            conn.execute(
                sqlx::query(
                    "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
                     VALUES ($1, $2, $3, $4, $5, CAST($6 AS JSON), CAST($7 AS JSON))",
                )
                .bind(event.aggregate_type)
                .bind(event.aggregate_id)
                .bind(event.sequence)
                .bind(event.event_type)
                .bind(event.event_version)
                .bind(event.payload)
                .bind(event.metadata),
            )
            .await
            .unwrap();
        }
        None => {
            let mut conn = sqlite_connection(data, false).await;
            conn.execute(
                sqlx::query(
                    "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(event.aggregate_type)
                .bind(event.aggregate_id)
                .bind(event.sequence)
                .bind(event.event_type)
                .bind(event.event_version)
                .bind(event.payload)
                .bind(event.metadata),
            )
            .await
            .unwrap();
        }
    }
}

/// A connection to the SQLite file of `data` (read-only when asked), waiting up to 10 s for a running server's
/// write to finish.
pub async fn sqlite_connection(data: &TestData, read_only: bool) -> sqlx::SqliteConnection {
    let path = data.dir().join("omi.db");
    let mode = if read_only { "?mode=ro" } else { "" };
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}{mode}", path.display()))
        .await
        .unwrap();
    conn.execute("PRAGMA busy_timeout = 10000").await.unwrap();
    conn
}
