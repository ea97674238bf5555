//! The log as jobs outside the server follow it (the change feed, `omi-server events`): one user's events or
//! everyone's, in commit order, each with its stored name, version and payload exactly as stored. Nothing is
//! decoded through the aggregates' contracts, so an event no read model understands is shown like any other.
//!
//! Both reads stop where the projector's do: on PostgreSQL below the log-writer watermark, so an event that
//! commits late is never passed over; a position read here is final, and reading after it again later returns
//! exactly the events that were not yet readable.

use chrono::{TimeZone, Utc};
use omi_domain::Timestamp;
use sqlx::Row;

use crate::{Backend, Database, EventMetadata, LogPosition, ReadError};

/// One event of the log as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    pub position: LogPosition,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    /// The stable stored name (`MemoryCreated`).
    pub event_type: String,
    pub event_version: String,
    /// The payload's JSON text as stored (`{"MemoryCreated": {…}}`); on SQLite, whatever text a writer outside
    /// the server stored.
    pub payload: String,
    /// Empty when the stored metadata is not the metadata the server writes.
    pub metadata: EventMetadata,
    pub recorded_at: Timestamp,
}

/// One user's events after a position, in commit order, through the index in that order (migration 10).
const POSTGRES_USER: &str =
    "SELECT tx, global_position, aggregate_type, aggregate_id, sequence, payload,
        metadata, recorded_at, event_type, event_version
    FROM omi_user_events_after($1, CAST(CAST($2 AS TEXT) AS xid8), $3, $4)
    ORDER BY tx, global_position";

/// Everyone's events after a position, in commit order (migrations 7 and 9).
const POSTGRES_ALL: &str =
    "SELECT tx, global_position, aggregate_type, aggregate_id, sequence, payload,
        metadata, recorded_at, event_type, event_version
    FROM omi_events_after(CAST(CAST($2 AS TEXT) AS xid8), $3, $4)
    ORDER BY tx, global_position";

/// On SQLite writers are serialized, so the position order is commit order; `events_by_user` serves it.
const SQLITE_USER: &str =
    "SELECT CAST(0 AS BIGINT) AS tx, global_position, aggregate_type, aggregate_id,
        sequence, payload, metadata, recorded_at, event_type, event_version
    FROM events
    WHERE uid = $1 AND global_position > $3
    ORDER BY global_position
    LIMIT $4";

const SQLITE_ALL: &str =
    "SELECT CAST(0 AS BIGINT) AS tx, global_position, aggregate_type, aggregate_id,
        sequence, payload, metadata, recorded_at, event_type, event_version
    FROM events
    WHERE global_position > $3
    ORDER BY global_position
    LIMIT $4";

/// Up to `limit` of `uid`'s events after `after`, in commit order.
pub async fn read_user_log(
    database: &Database,
    uid: &str,
    after: LogPosition,
    limit: i64,
) -> Result<Vec<LoggedEvent>, ReadError> {
    let sql = match database.backend() {
        Backend::Postgres => POSTGRES_USER,
        Backend::Sqlite => SQLITE_USER,
    };
    read(database, sql, uid, after, limit).await
}

/// Up to `limit` events of every user after `after`, in commit order.
pub async fn read_log(
    database: &Database,
    after: LogPosition,
    limit: i64,
) -> Result<Vec<LoggedEvent>, ReadError> {
    let sql = match database.backend() {
        Backend::Postgres => POSTGRES_ALL,
        Backend::Sqlite => SQLITE_ALL,
    };
    read(database, sql, "", after, limit).await
}

async fn read(
    database: &Database,
    sql: &str,
    uid: &str,
    after: LogPosition,
    limit: i64,
) -> Result<Vec<LoggedEvent>, ReadError> {
    let rows = sqlx::query(sql)
        .bind(uid)
        .bind(after.transaction)
        .bind(after.global)
        .bind(limit)
        .fetch_all(database.pool())
        .await?;
    rows.iter().map(logged).collect()
}

fn logged(row: &sqlx::any::AnyRow) -> Result<LoggedEvent, ReadError> {
    let metadata: String = row.try_get("metadata")?;
    let micros: i64 = row.try_get("recorded_at")?;
    Ok(LoggedEvent {
        position: LogPosition {
            transaction: row.try_get("tx")?,
            global: row.try_get("global_position")?,
        },
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        sequence: row.try_get("sequence")?,
        event_type: row.try_get("event_type")?,
        event_version: row.try_get("event_version")?,
        payload: row.try_get("payload")?,
        metadata: serde_json::from_str(&metadata).unwrap_or_default(),
        recorded_at: Utc.timestamp_micros(micros).single().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::{read_log, read_user_log};
    use crate::{Database, LogPosition};

    #[tokio::test]
    async fn a_user_read_keeps_to_the_user_and_both_reads_follow_commit_order() {
        let dir = std::env::temp_dir().join(format!(
            "omi-store-feed-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ));
        let database = Database::open(None, &dir, 2).await.unwrap();
        for (i, uid) in ["ann", "bob", "ann", "ann", "bob"].iter().enumerate() {
            sqlx::query(
                "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                                     payload, metadata)
                 VALUES ('Elsewhere', $1, 1, 'Happened', '2.0', '{\"Happened\":{\"n\":1}}', $2)",
            )
            .bind(format!("stream-{i}"))
            .bind(format!(r#"{{"uid":"{uid}","actor":"user","correlation_id":"c{i}"}}"#))
            .execute(database.pool())
            .await
            .unwrap();
        }
        let ann = read_user_log(&database, "ann", LogPosition::START, 2)
            .await
            .unwrap();
        let at: Vec<i64> = ann.iter().map(|e| e.position.global).collect();
        assert_eq!(at, [1, 3]);
        assert_eq!(ann[0].event_type, "Happened");
        assert_eq!(ann[0].event_version, "2.0");
        assert_eq!(ann[0].payload, r#"{"Happened":{"n":1}}"#);
        assert_eq!(ann[1].metadata.correlation_id, "c2");
        let rest = read_user_log(&database, "ann", ann[1].position, 10)
            .await
            .unwrap();
        assert_eq!(
            rest.iter().map(|e| e.position.global).collect::<Vec<_>>(),
            [4]
        );
        let all = read_log(
            &database,
            LogPosition {
                transaction: 0,
                global: 2,
            },
            10,
        )
        .await
        .unwrap();
        let owners: Vec<&str> = all.iter().map(|e| e.metadata.uid.as_str()).collect();
        assert_eq!(owners, ["ann", "ann", "bob"]);
        database.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
