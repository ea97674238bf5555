//! Reads the log after a position, in commit order, never past an event whose transaction may still commit
//! before an earlier-numbered one.

use crate::{Backend, Database, LogPosition};
use chrono::{TimeZone, Utc};
use sqlx::Row;

use crate::event::{RecordedEvent, StoredEvent};

/// Why the log could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// An event of a known aggregate whose payload does not decode: skipping it would corrupt read models.
    #[error("event at {0} cannot be decoded: {1}")]
    Decode(LogPosition, String),
}

/// On PostgreSQL an event is read only once every transaction that started before its own has finished
/// (`transaction_id < xmin` of the current snapshot), and in (transaction, position) order: a transaction that
/// inserted earlier but commits later can never be skipped.
const POSTGRES: &str = "SELECT CAST(CAST(transaction_id AS TEXT) AS BIGINT) AS tx, global_position, aggregate_type,
        aggregate_id, sequence, CAST(payload AS TEXT) AS payload, CAST(metadata AS TEXT) AS metadata,
        CAST(EXTRACT(EPOCH FROM recorded_at) * 1000000 AS BIGINT) AS recorded_at
    FROM events
    WHERE (transaction_id, global_position) > (CAST(CAST($1 AS TEXT) AS xid8), $2)
      AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY transaction_id, global_position
    LIMIT $3";

/// On SQLite writers are serialized, so the rowid order is commit order.
const SQLITE: &str =
    "SELECT CAST(0 AS BIGINT) AS tx, global_position, aggregate_type, aggregate_id, sequence,
        payload, metadata, recorded_at
    FROM events
    WHERE global_position > $2
    ORDER BY global_position
    LIMIT $3";

/// Reads up to `limit` events after `after`.
pub async fn read_after(
    database: &Database,
    after: LogPosition,
    limit: i64,
) -> Result<Vec<RecordedEvent>, ReadError> {
    let sql = match database.backend() {
        Backend::Postgres => POSTGRES,
        Backend::Sqlite => SQLITE,
    };
    let rows = sqlx::query(sql)
        .bind(after.transaction)
        .bind(after.global)
        .bind(limit)
        .fetch_all(database.pool())
        .await?;
    rows.iter().map(decode).collect()
}

fn decode(row: &sqlx::any::AnyRow) -> Result<RecordedEvent, ReadError> {
    let aggregate_type: String = row.try_get("aggregate_type")?;
    let payload: String = row.try_get("payload")?;
    let metadata: String = row.try_get("metadata")?;
    let position = LogPosition {
        transaction: row.try_get("tx")?,
        global: row.try_get("global_position")?,
    };
    let event = StoredEvent::decode(&aggregate_type, &payload)
        .map_err(|e| ReadError::Decode(position, e.to_string()))?;
    let metadata =
        serde_json::from_str(&metadata).map_err(|e| ReadError::Decode(position, e.to_string()))?;
    let micros: i64 = row.try_get("recorded_at")?;
    Ok(RecordedEvent {
        position,
        aggregate_id: row.try_get("aggregate_id")?,
        sequence: row.try_get("sequence")?,
        recorded_at: Utc.timestamp_micros(micros).single().unwrap_or_default(),
        metadata,
        event,
    })
}

/// How many events the log holds (for progress reporting).
pub async fn log_size(database: &Database) -> Result<i64, ReadError> {
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM events")
        .fetch_one(database.pool())
        .await?;
    Ok(count)
}

/// Every event of one stream, in order (for consumers that fold a single aggregate's history).
pub async fn read_stream(
    database: &Database,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Vec<RecordedEvent>, ReadError> {
    let sql = match database.backend() {
        Backend::Postgres => {
            "SELECT CAST(CAST(transaction_id AS TEXT) AS BIGINT) AS tx, global_position, aggregate_type,
                    aggregate_id, sequence, CAST(payload AS TEXT) AS payload, CAST(metadata AS TEXT) AS metadata,
                    CAST(EXTRACT(EPOCH FROM recorded_at) * 1000000 AS BIGINT) AS recorded_at
             FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence"
        }
        Backend::Sqlite => {
            "SELECT CAST(0 AS BIGINT) AS tx, global_position, aggregate_type, aggregate_id, sequence, payload,
                    metadata, recorded_at
             FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence"
        }
    };
    let rows = sqlx::query(sql)
        .bind(aggregate_type)
        .bind(aggregate_id)
        .fetch_all(database.pool())
        .await?;
    rows.iter().map(decode).collect()
}

/// The position of the last event readers may see now (the start of the log when it is empty).
pub async fn head_position(database: &Database) -> Result<LogPosition, ReadError> {
    last_position(
        database,
        "WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())",
    )
    .await
}

/// The position of the last event whose transaction has committed, ignoring the commit-order watermark: what a
/// reader must reach to have seen everything committed so far (the start of the log when it is empty).
pub async fn committed_head(database: &Database) -> Result<LogPosition, ReadError> {
    last_position(database, "").await
}

/// The last event's position in commit order; on PostgreSQL among the rows `postgres_filter` keeps (SQLite's
/// writes are serialized, so every committed row is readable in order there).
async fn last_position(
    database: &Database,
    postgres_filter: &str,
) -> Result<LogPosition, ReadError> {
    let sql = match database.backend() {
        Backend::Postgres => format!(
            "SELECT CAST(CAST(transaction_id AS TEXT) AS BIGINT), global_position FROM events {postgres_filter}
             ORDER BY transaction_id DESC, global_position DESC LIMIT 1"
        ),
        Backend::Sqlite => {
            "SELECT CAST(0 AS BIGINT), global_position FROM events ORDER BY global_position DESC LIMIT 1".into()
        }
    };
    let row: Option<(i64, i64)> = sqlx::query_as(&sql).fetch_optional(database.pool()).await?;
    Ok(row
        .map(|(transaction, global)| LogPosition {
            transaction,
            global,
        })
        .unwrap_or(LogPosition::START))
}
