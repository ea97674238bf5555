//! Writes one batch of appends atomically: a single `INSERT … SELECT FROM UNNEST` on PostgreSQL (one round trip,
//! committed on its own), one `BEGIN IMMEDIATE` transaction on SQLite. Either every append of the batch is
//! written or none is.

use std::collections::HashMap;

use omi_store::{Database, LogPosition};
use sqlx::postgres::PgPool;
use sqlx::Row;

use super::append::{Append, AppendError};

const POSTGRES: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
    SELECT kind, id, seq, event_type, event_version, CAST(payload AS JSON), CAST(metadata AS JSON)
    FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
        AS batch(kind, id, seq, event_type, event_version, payload, metadata)
    RETURNING aggregate_type, aggregate_id, sequence, CAST(CAST(transaction_id AS TEXT) AS BIGINT) AS tx,
        global_position";

const SQLITE: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
    VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING global_position";

/// Writes `appends` and returns, for each, the position of its last event.
pub(super) async fn write(
    database: &Database,
    appends: &[&Append],
) -> Result<Vec<LogPosition>, AppendError> {
    match database.postgres() {
        Some(pool) => postgres(pool, appends).await,
        None => sqlite(database, appends).await,
    }
}

async fn postgres(pool: &PgPool, appends: &[&Append]) -> Result<Vec<LogPosition>, AppendError> {
    let rows = appends.iter().map(|a| a.events.len()).sum();
    let mut kinds = Vec::with_capacity(rows);
    let mut ids = Vec::with_capacity(rows);
    let mut sequences = Vec::with_capacity(rows);
    let mut event_types = Vec::with_capacity(rows);
    let mut versions = Vec::with_capacity(rows);
    let mut payloads = Vec::with_capacity(rows);
    let mut metadata = Vec::with_capacity(rows);
    for append in appends {
        for event in &append.events {
            kinds.push(append.aggregate_type);
            ids.push(event.aggregate_id.as_str());
            sequences.push(event.sequence as i64);
            event_types.push(event.event_type.as_str());
            versions.push(event.event_version.as_str());
            payloads.push(event.payload.to_string());
            metadata.push(event.metadata.to_string());
        }
    }
    let written = sqlx::query(POSTGRES)
        .bind(kinds)
        .bind(ids)
        .bind(sequences)
        .bind(event_types)
        .bind(versions)
        .bind(payloads)
        .bind(metadata)
        .fetch_all(pool)
        .await
        .map_err(refused)?;
    let mut positions = HashMap::with_capacity(written.len());
    for row in &written {
        let key: (String, String, i64) = (
            row.try_get(0).map_err(refused)?,
            row.try_get(1).map_err(refused)?,
            row.try_get(2).map_err(refused)?,
        );
        let position = LogPosition {
            transaction: row.try_get(3).map_err(refused)?,
            global: row.try_get(4).map_err(refused)?,
        };
        positions.insert(key, position);
    }
    appends
        .iter()
        .map(|append| {
            let last = append.events.last().ok_or_else(nothing)?;
            let key = (
                append.aggregate_type.to_string(),
                last.aggregate_id.clone(),
                last.sequence as i64,
            );
            positions.get(&key).copied().ok_or_else(|| {
                AppendError::Store("the store did not report where an append landed".into())
            })
        })
        .collect()
}

async fn sqlite(database: &Database, appends: &[&Append]) -> Result<Vec<LogPosition>, AppendError> {
    let mut tx = database.begin_write().await.map_err(refused)?;
    let mut positions = Vec::with_capacity(appends.len());
    for append in appends {
        let mut last = None;
        for event in &append.events {
            let (global,): (i64,) = sqlx::query_as(SQLITE)
                .bind(append.aggregate_type)
                .bind(event.aggregate_id.as_str())
                .bind(event.sequence as i64)
                .bind(event.event_type.as_str())
                .bind(event.event_version.as_str())
                .bind(event.payload.to_string())
                .bind(event.metadata.to_string())
                .fetch_one(&mut *tx)
                .await
                .map_err(refused)?;
            last = Some(LogPosition {
                transaction: 0,
                global,
            });
        }
        positions.push(last.ok_or_else(nothing)?);
    }
    tx.commit().await.map_err(refused)?;
    Ok(positions)
}

fn nothing() -> AppendError {
    AppendError::Store("an append without events".into())
}

/// A unique-key violation is another writer's append at the same sequence; anything else is the store's.
fn refused(error: sqlx::Error) -> AppendError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => AppendError::Conflict,
        _ => AppendError::Store(error.to_string()),
    }
}
