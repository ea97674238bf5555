//! Reading streams from the event log in the embedded SQLite file (appends go through the appender).

use cqrs_es::persist::{PersistenceError, SerializedEvent};
use omi_store::Database;
use serde_json::Value;
use sqlx::Row;

const SELECT_STREAM: &str = "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata
    FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence > $3 ORDER BY sequence";

const SELECT_TYPE: &str =
    "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata
    FROM events WHERE aggregate_type = $1 ORDER BY global_position";

/// The streams of the SQLite event log, as cqrs-es reads them.
#[derive(Clone)]
pub struct SqliteStreams {
    database: Database,
}

impl SqliteStreams {
    /// Streams of the SQLite database.
    pub fn new(database: Database) -> Self {
        Self { database }
    }

    /// The events of one stream after `after` (-1 for all), in sequence order.
    pub async fn stream(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        after: i64,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        let rows = sqlx::query(SELECT_STREAM)
            .bind(aggregate_type)
            .bind(aggregate_id)
            .bind(after)
            .fetch_all(self.database.pool())
            .await
            .map_err(unknown)?;
        rows.iter().map(decode).collect()
    }

    /// Every event of one aggregate type, in log order.
    pub async fn all(
        &self,
        aggregate_type: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        let rows = sqlx::query(SELECT_TYPE)
            .bind(aggregate_type)
            .fetch_all(self.database.pool())
            .await
            .map_err(unknown)?;
        rows.iter().map(decode).collect()
    }
}

fn unknown(error: sqlx::Error) -> PersistenceError {
    PersistenceError::UnknownError(Box::new(error))
}

fn decode(row: &sqlx::any::AnyRow) -> Result<SerializedEvent, PersistenceError> {
    let text = |name: &str| row.try_get::<String, _>(name).map_err(unknown);
    let json = |name: &str| -> Result<Value, PersistenceError> {
        serde_json::from_str(&text(name)?)
            .map_err(|e| PersistenceError::DeserializationError(Box::new(e)))
    };
    let sequence: i64 = row.try_get("sequence").map_err(unknown)?;
    Ok(SerializedEvent {
        aggregate_type: text("aggregate_type")?,
        aggregate_id: text("aggregate_id")?,
        sequence: sequence as usize,
        event_type: text("event_type")?,
        event_version: text("event_version")?,
        payload: json("payload")?,
        metadata: json("metadata")?,
    })
}
