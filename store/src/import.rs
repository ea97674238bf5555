//! Appending events exported from another server (`omi-server import`): each keeps its aggregate, id, sequence,
//! stored name and version, payload, metadata and recording time, and gets a position in this log. All of one
//! import is one transaction: an event already present with the same content is passed over, one that differs
//! refuses the whole import, and nothing of it is written.

use sqlx::Row;

use crate::{Backend, Database, WriteTx};

/// One event as an export carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedEvent {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    /// JSON text: `{"<stored name>": {fields}}`.
    pub payload: String,
    /// JSON text: the metadata object the server writes (`uid`, `actor`, `correlation_id`, `causation_id`).
    pub metadata: String,
    /// Unix microseconds.
    pub recorded_at: i64,
}

impl ImportedEvent {
    /// `<aggregate_type>:<aggregate_id>:<sequence>`, as the change feed names an event.
    pub fn id(&self) -> String {
        format!(
            "{}:{}:{}",
            self.aggregate_type, self.aggregate_id, self.sequence
        )
    }
}

/// What became of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    Appended,
    /// The log already held it, identical.
    AlreadyPresent,
}

/// Why an import stops.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("event {id} is already in the log with a different {field}; nothing was imported")]
    Conflict { id: String, field: &'static str },
    #[error("event {id} belongs to an erased account; nothing was imported")]
    Erased { id: String },
}

/// An import in progress: one write transaction, committed by [`Import::commit`] (dropped, it rolls back).
pub struct Import {
    tx: WriteTx,
    backend: Backend,
}

const POSTGRES_FIND: &str = "SELECT event_type, event_version, CAST(payload AS TEXT) AS payload,
        CAST(metadata AS TEXT) AS metadata,
        CAST(EXTRACT(EPOCH FROM recorded_at) * 1000000 AS BIGINT) AS recorded_at
    FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3";

const SQLITE_FIND: &str = "SELECT event_type, event_version, payload, metadata, recorded_at
    FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3";

const POSTGRES_APPEND: &str =
    "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type,
        event_version, payload, metadata, recorded_at)
    VALUES ($1, $2, $3, $4, $5, CAST($6 AS JSON), CAST($7 AS JSON),
        TIMESTAMPTZ 'epoch' + CAST($8 AS BIGINT) * INTERVAL '1 microsecond')";

const SQLITE_APPEND: &str =
    "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type,
        event_version, payload, metadata, recorded_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

impl Import {
    /// Starts an import (on PostgreSQL the transaction is marked as a log writer first, see migration 7).
    pub async fn begin(database: &Database) -> Result<Import, sqlx::Error> {
        let mut tx = database.begin_write().await?;
        if database.backend() == Backend::Postgres {
            sqlx::query("SELECT omi_begin_append()")
                .execute(&mut *tx)
                .await?;
        }
        Ok(Import {
            tx,
            backend: database.backend(),
        })
    }

    /// Appends `event`, or passes over it when the log holds the same; refuses one that differs and one of an
    /// account erased here.
    pub async fn add(&mut self, event: &ImportedEvent) -> Result<Imported, ImportError> {
        let uid = serde_json::from_str::<serde_json::Value>(&event.metadata)
            .ok()
            .and_then(|m| m.get("uid").and_then(|u| u.as_str()).map(str::to_string))
            .unwrap_or_default();
        let erased: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM erasures WHERE uid = $1")
            .bind(&uid)
            .fetch_optional(&mut *self.tx)
            .await?;
        if erased.is_some() {
            return Err(ImportError::Erased { id: event.id() });
        }
        let find = match self.backend {
            Backend::Postgres => POSTGRES_FIND,
            Backend::Sqlite => SQLITE_FIND,
        };
        let found = sqlx::query(find)
            .bind(&event.aggregate_type)
            .bind(&event.aggregate_id)
            .bind(event.sequence)
            .fetch_optional(&mut *self.tx)
            .await?;
        if let Some(row) = found {
            return match differing_field(&row, event)? {
                None => Ok(Imported::AlreadyPresent),
                Some(field) => Err(ImportError::Conflict {
                    id: event.id(),
                    field,
                }),
            };
        }
        let append = match self.backend {
            Backend::Postgres => POSTGRES_APPEND,
            Backend::Sqlite => SQLITE_APPEND,
        };
        sqlx::query(append)
            .bind(&event.aggregate_type)
            .bind(&event.aggregate_id)
            .bind(event.sequence)
            .bind(&event.event_type)
            .bind(&event.event_version)
            .bind(&event.payload)
            .bind(&event.metadata)
            .bind(event.recorded_at)
            .execute(&mut *self.tx)
            .await?;
        Ok(Imported::Appended)
    }

    /// Commits everything added.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

/// The first column in which the stored event differs from `event` (JSON compared as values, so key order and
/// spacing do not count).
fn differing_field(
    row: &sqlx::any::AnyRow,
    event: &ImportedEvent,
) -> Result<Option<&'static str>, sqlx::Error> {
    let json = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
    let event_type: String = row.try_get("event_type")?;
    let event_version: String = row.try_get("event_version")?;
    let payload: String = row.try_get("payload")?;
    let metadata: String = row.try_get("metadata")?;
    let recorded_at: i64 = row.try_get("recorded_at")?;
    Ok(if event_type != event.event_type {
        Some("stored name")
    } else if event_version != event.event_version {
        Some("version")
    } else if json(&payload) != json(&event.payload) || json(&payload).is_none() {
        Some("payload")
    } else if json(&metadata) != json(&event.metadata) {
        Some("metadata")
    } else if recorded_at != event.recorded_at {
        Some("recorded_at")
    } else {
        None
    })
}
