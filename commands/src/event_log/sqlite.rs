//! The event log in the embedded SQLite file, with the columns and conflict rule of postgres-es.

use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use cqrs_es::Aggregate;
use omi_store::Database;
use serde_json::Value;
use sqlx::Row;

const SELECT_STREAM: &str = "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata
    FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence > $3 ORDER BY sequence";

const SELECT_TYPE: &str =
    "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata
    FROM events WHERE aggregate_type = $1 ORDER BY global_position";

const INSERT: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
    VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// Events in SQLite. Appends of one commit share a transaction that takes the write lock first, and the unique
/// (type, id, sequence) key turns a concurrent append to the same stream into an optimistic-lock conflict.
#[derive(Clone)]
pub struct SqliteEventRepository {
    database: Database,
}

impl SqliteEventRepository {
    /// A repository over the SQLite database.
    pub fn new(database: Database) -> Self {
        Self { database }
    }

    async fn select(
        &self,
        sql: &str,
        aggregate_type: &str,
        aggregate_id: Option<&str>,
        after: i64,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        let mut query = sqlx::query(sql).bind(aggregate_type);
        if let Some(id) = aggregate_id {
            query = query.bind(id).bind(after);
        }
        let rows = query
            .fetch_all(self.database.pool())
            .await
            .map_err(unknown)?;
        rows.iter().map(decode).collect()
    }
}

fn unknown(error: sqlx::Error) -> PersistenceError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            PersistenceError::OptimisticLockError
        }
        _ => PersistenceError::UnknownError(Box::new(error)),
    }
}

fn decode(row: &sqlx::any::AnyRow) -> Result<SerializedEvent, PersistenceError> {
    let text = |name: &str| {
        row.try_get::<String, _>(name)
            .map_err(|e| PersistenceError::UnknownError(Box::new(e)))
    };
    let json = |name: &str| -> Result<Value, PersistenceError> {
        serde_json::from_str(&text(name)?)
            .map_err(|e| PersistenceError::DeserializationError(Box::new(e)))
    };
    let sequence: i64 = row
        .try_get("sequence")
        .map_err(|e| PersistenceError::UnknownError(Box::new(e)))?;
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

async fn feed(events: Vec<SerializedEvent>) -> Result<ReplayStream, PersistenceError> {
    let (mut feed, stream) = ReplayStream::new(events.len().max(1));
    for event in events {
        feed.push(Ok(event)).await?;
    }
    Ok(stream)
}

impl PersistedEventRepository for SqliteEventRepository {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        self.select(SELECT_STREAM, A::TYPE, Some(aggregate_id), -1)
            .await
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        self.select(
            SELECT_STREAM,
            A::TYPE,
            Some(aggregate_id),
            last_sequence as i64,
        )
        .await
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        _aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        Ok(None)
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        if snapshot_update.is_some() {
            return Err(PersistenceError::UnknownError(
                "the SQLite event log runs in plain event-store mode and keeps no snapshots".into(),
            ));
        }
        let mut tx = self.database.begin_write().await.map_err(unknown)?;
        for event in events {
            sqlx::query(INSERT)
                .bind(A::TYPE)
                .bind(event.aggregate_id.as_str())
                .bind(event.sequence as i64)
                .bind(event.event_type.as_str())
                .bind(event.event_version.as_str())
                .bind(event.payload.to_string())
                .bind(event.metadata.to_string())
                .execute(&mut *tx)
                .await
                .map_err(unknown)?;
        }
        tx.commit().await.map_err(unknown)
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        feed(self.get_events::<A>(aggregate_id).await?).await
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        feed(self.select(SELECT_TYPE, A::TYPE, None, 0).await?).await
    }
}
