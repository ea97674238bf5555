//! Reading streams from the event log with SQL both engines run: every read on SQLite, and on PostgreSQL the
//! replay of a whole aggregate type (its single streams are read through postgres-es). Appends go through the
//! appender. The events come back as stored; [`super::EventLog`] checks them against their contract.

use cqrs_es::persist::{PersistenceError, SerializedEvent};
use omi_store::Database;
use serde_json::Value;
use sqlx::Row;

const SELECT_STREAM: &str = "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version,
        CAST(payload AS TEXT) AS payload, CAST(metadata AS TEXT) AS metadata
    FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence > $3 ORDER BY sequence";

const SELECT_TYPE: &str =
    "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version,
        CAST(payload AS TEXT) AS payload, CAST(metadata AS TEXT) AS metadata
    FROM events WHERE aggregate_type = $1 ORDER BY global_position";

/// The streams of the event log, as cqrs-es reads them.
#[derive(Clone)]
pub struct LogStreams {
    database: Database,
}

impl LogStreams {
    /// Streams of `database`.
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
