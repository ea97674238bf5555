//! Reads the log after a position, in commit order, never past an event whose transaction may still commit
//! before an earlier-numbered one.

use crate::{Backend, Database, LogPosition};
use chrono::{TimeZone, Utc};
use sqlx::{AnyConnection, Row};

use crate::event::{EventMetadata, RecordedEvent, StoredEvent, StoredForm};

/// Why the log could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// An event of a known aggregate whose payload does not decode: skipping it would corrupt read models.
    #[error("event at {0} cannot be decoded: {1}")]
    Decode(LogPosition, String),
}

/// On PostgreSQL an event is read only once every log writer that may have been given a lower transaction id has
/// finished, and in (transaction, position) order: a transaction that inserted earlier but commits later can never
/// be skipped. `omi_events_after` (migrations 7 and 9) computes that watermark from the transactions that append
/// to the log only, then reads with a later snapshot; transactions on other tables or databases never hold it back.
/// Every statement reading events selects the same columns in the same order ([`read_batch`] relies on it).
const POSTGRES: &str =
    "SELECT tx, global_position, aggregate_type, aggregate_id, sequence, payload, metadata,
        recorded_at, event_type, event_version
    FROM omi_events_after(CAST(CAST($1 AS TEXT) AS xid8), $2, $3)
    ORDER BY tx, global_position";

/// [`POSTGRES`] for the aggregate types in the JSON array `$4` only, then one row with a null payload: the last
/// event of any type the read covered (`omi_events_of_after`, migration 29).
const POSTGRES_OF: &str =
    "SELECT tx, global_position, aggregate_type, aggregate_id, sequence, payload, metadata,
        recorded_at, event_type, event_version
    FROM omi_events_of_after(ARRAY(SELECT json_array_elements_text(CAST($4 AS JSON))),
                             CAST(CAST($1 AS TEXT) AS xid8), $2, $3)";

/// On SQLite writers are serialized, so the rowid order is commit order.
const SQLITE: &str =
    "SELECT CAST(0 AS BIGINT) AS tx, global_position, aggregate_type, aggregate_id, sequence,
        payload, metadata, recorded_at, event_type, event_version
    FROM events
    WHERE global_position > $2
    ORDER BY global_position
    LIMIT $3";

/// [`SQLITE`] for the aggregate types in the JSON array `$4` only, then one row with a null payload: the last
/// event of any type. One statement reads one snapshot, so nothing can commit between the two parts.
const SQLITE_OF: &str = "SELECT * FROM (
        SELECT CAST(0 AS BIGINT) AS tx, global_position, aggregate_type, aggregate_id, sequence,
            payload, metadata, recorded_at, event_type, event_version
        FROM events
        WHERE global_position > $2 AND aggregate_type IN (SELECT value FROM json_each($4))
        ORDER BY global_position
        LIMIT $3)
    UNION ALL
    SELECT * FROM (
        SELECT CAST(0 AS BIGINT), MAX(global_position) AS last, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
        FROM events
        WHERE global_position > $2)
    WHERE last IS NOT NULL";

/// Reads up to `limit` events after `after`.
pub async fn read_after(
    database: &Database,
    after: LogPosition,
    limit: i64,
) -> Result<Vec<RecordedEvent>, ReadError> {
    let mut conn = database.pool().acquire().await?;
    read_after_on(&mut conn, database.backend(), after, limit).await
}

/// What a projector's batch starts from: the stored checkpoints of its consumers and the events after a position.
#[derive(Debug, Default)]
pub struct Batch {
    /// The checkpoint of each name asked for, in order (the start of the log for a name without one).
    pub checkpoints: Vec<LogPosition>,
    /// Up to the limit of events after the position asked for, in commit order.
    pub events: Vec<RecordedEvent>,
    /// Every event some read model has parked or skipped (usually none).
    pub parked: Vec<ParkedMark>,
}

/// Where a parked (or skipped) event stands, as a projector needs it to keep its stream's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedMark {
    pub projection: String,
    pub position: LogPosition,
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// Still parked (its stream's later events wait behind it), not skipped.
    pub parked: bool,
}

/// The checkpoints of `names` and up to `limit` events after `after`, in one statement on `conn` (a projector's
/// transaction, which holds the projector lock: the checkpoints cannot move until it ends). `after` is where
/// the caller expects the checkpoints to be; events at or before a checkpoint are the caller's to skip, and a
/// checkpoint found before `after` means the read started too late (see [`read_after_on`]).
pub async fn read_batch(
    conn: &mut AnyConnection,
    backend: Backend,
    names: &[&str],
    after: LogPosition,
    limit: i64,
) -> Result<Batch, ReadError> {
    let events = events_after(backend);
    let names_list = (0..names.len())
        .map(|i| format!("${}", i + 4))
        .collect::<Vec<_>>()
        .join(", ");
    // Checkpoint rows carry the name in `aggregate_id` and sort first ('c' < 'e'); parked rows carry the read
    // model's name in `payload` and their status in `metadata`.
    let sql = format!(
        "SELECT 'e' AS kind, batch.* FROM ({events}) AS batch
         UNION ALL
         SELECT 'c', transaction_id, global_position, CAST(NULL AS TEXT), name, CAST(NULL AS BIGINT),
                CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS BIGINT), CAST(NULL AS TEXT),
                CAST(NULL AS TEXT)
         FROM projection_checkpoints WHERE name IN ({names_list})
         UNION ALL
         SELECT 'p', transaction_id, global_position, aggregate_type, aggregate_id, sequence, projection, status,
                CAST(NULL AS BIGINT), CAST(NULL AS TEXT), CAST(NULL AS TEXT)
         FROM parked_events
         ORDER BY 1, 2, 3"
    );
    let mut query = sqlx::query(&sql)
        .bind(after.transaction)
        .bind(after.global)
        .bind(limit);
    for name in names {
        query = query.bind(*name);
    }
    let rows = query.fetch_all(conn).await?;
    let mut batch = Batch {
        checkpoints: vec![LogPosition::START; names.len()],
        events: Vec::with_capacity(rows.len()),
        parked: Vec::new(),
    };
    for row in &rows {
        let kind: String = row.try_get("kind")?;
        if kind == "p" {
            batch.parked.push(ParkedMark {
                projection: row.try_get("payload")?,
                position: LogPosition {
                    transaction: row.try_get("tx")?,
                    global: row.try_get("global_position")?,
                },
                aggregate_type: row.try_get("aggregate_type")?,
                aggregate_id: row.try_get("aggregate_id")?,
                parked: row.try_get::<String, _>("metadata")? == "parked",
            });
        } else if kind == "c" {
            let name: String = row.try_get("aggregate_id")?;
            if let Some(at) = names.iter().position(|n| *n == name) {
                batch.checkpoints[at] = LogPosition {
                    transaction: row.try_get("tx")?,
                    global: row.try_get("global_position")?,
                };
            }
        } else {
            batch.events.push(decode(row)?);
        }
    }
    Ok(batch)
}

/// Reads up to `limit` events after `after` on `conn`.
pub async fn read_after_on(
    conn: &mut AnyConnection,
    backend: Backend,
    after: LogPosition,
    limit: i64,
) -> Result<Vec<RecordedEvent>, ReadError> {
    let rows = sqlx::query(events_after(backend))
        .bind(after.transaction)
        .bind(after.global)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(decode).collect()
}

/// The statement reading up to `$3` events after the position `($1, $2)` in commit order.
fn events_after(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => POSTGRES,
        Backend::Sqlite => SQLITE,
    }
}

/// Events of some aggregate types read after a position, and how far the read covered the log.
#[derive(Debug, Default)]
pub struct Window {
    /// The events of the aggregate types asked for, in commit order.
    pub events: Vec<RecordedEvent>,
    /// The position up to which the log is covered: every event of the types asked for up to it is in
    /// `events`; `None` when nothing followed.
    pub last: Option<LogPosition>,
    /// The limit was reached: more events of the types asked for may follow `last`.
    pub full: bool,
}

/// Reads up to `limit` events of `aggregate_types` after `after`. The others are neither transferred nor
/// decoded; on PostgreSQL an index per type in commit order keeps them from being visited at all.
pub async fn read_after_of(
    database: &Database,
    after: LogPosition,
    limit: i64,
    aggregate_types: &[&str],
) -> Result<Window, ReadError> {
    let sql = match database.backend() {
        Backend::Postgres => POSTGRES_OF,
        Backend::Sqlite => SQLITE_OF,
    };
    let wanted = serde_json::to_string(aggregate_types)
        .map_err(|e| ReadError::Decode(after, format!("aggregate types as JSON: {e}")))?;
    let rows = sqlx::query(sql)
        .bind(after.transaction)
        .bind(after.global)
        .bind(limit)
        .bind(wanted)
        .fetch_all(database.pool())
        .await?;
    let mut window = Window::default();
    let mut covered = None;
    for row in &rows {
        if row.try_get::<Option<String>, _>("payload")?.is_some() {
            window.events.push(decode(row)?);
        } else {
            covered = Some(LogPosition {
                transaction: row.try_get("tx")?,
                global: row.try_get("global_position")?,
            });
        }
    }
    window.full = window.events.len() as i64 >= limit;
    window.last = if window.full {
        window.events.last().map(|e| e.position)
    } else {
        covered
    };
    Ok(window)
}

pub(crate) fn decode(row: &sqlx::any::AnyRow) -> Result<RecordedEvent, ReadError> {
    let aggregate_type: String = row.try_get("aggregate_type")?;
    let event_type: String = row.try_get("event_type")?;
    let event_version: String = row.try_get("event_version")?;
    let payload: String = row.try_get("payload")?;
    let metadata: String = row.try_get("metadata")?;
    let position = LogPosition {
        transaction: row.try_get("tx")?,
        global: row.try_get("global_position")?,
    };
    let stored = StoredForm {
        aggregate_type: &aggregate_type,
        event_type: &event_type,
        event_version: &event_version,
        payload: &payload,
    };
    let (event, metadata) = decode_event(stored, Some(&metadata));
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

/// An event and its metadata as stored; either that does not decode makes the event
/// [`StoredEvent::Undecodable`] (with empty metadata when the metadata is at fault), never a failed read.
pub(crate) fn decode_event(
    stored: StoredForm<'_>,
    metadata: Option<&str>,
) -> (StoredEvent, EventMetadata) {
    let event = StoredEvent::decode_or_mark(stored);
    match metadata.map(serde_json::from_str::<EventMetadata>) {
        None => (event, EventMetadata::default()),
        Some(Ok(metadata)) => (event, metadata),
        Some(Err(error)) => (
            StoredEvent::Undecodable {
                aggregate_type: stored.aggregate_type.to_string(),
                error: format!("the event's metadata does not decode: {error}"),
            },
            EventMetadata::default(),
        ),
    }
}

/// How many committed events follow `after` in commit order (a consumer's lag behind the log).
pub async fn count_after(database: &Database, after: LogPosition) -> Result<i64, ReadError> {
    let query = match database.backend() {
        Backend::Postgres => sqlx::query_as(
            "SELECT COUNT(*) FROM events
             WHERE (transaction_id, global_position) > (CAST(CAST($1 AS TEXT) AS xid8), $2)",
        )
        .bind(after.transaction),
        Backend::Sqlite => sqlx::query_as("SELECT COUNT(*) FROM events WHERE global_position > $1"),
    };
    let (count,): (i64,) = query.bind(after.global).fetch_one(database.pool()).await?;
    Ok(count)
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
                    CAST(EXTRACT(EPOCH FROM recorded_at) * 1000000 AS BIGINT) AS recorded_at, event_type,
                    event_version
             FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence"
        }
        Backend::Sqlite => {
            "SELECT CAST(0 AS BIGINT) AS tx, global_position, aggregate_type, aggregate_id, sequence, payload,
                    metadata, recorded_at, event_type, event_version
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
    if database.backend() == Backend::Sqlite {
        return last_position(database, "").await;
    }
    // Two statements: the events must be read with a snapshot taken after the watermark's.
    let watermark = log_watermark(database).await?;
    last_position(
        database,
        &format!("WHERE transaction_id < CAST(CAST({watermark} AS TEXT) AS xid8)"),
    )
    .await
}

/// The oldest transaction id a running log writer may hold on PostgreSQL: every event below it has committed or
/// never will, and every event read with a snapshot taken after this call is readable. 0 on SQLite.
pub async fn log_watermark(database: &Database) -> Result<i64, ReadError> {
    if database.backend() == Backend::Sqlite {
        return Ok(0);
    }
    let (watermark,): (i64,) =
        sqlx::query_as("SELECT CAST(CAST(omi_log_watermark() AS TEXT) AS BIGINT)")
            .fetch_one(database.pool())
            .await?;
    Ok(watermark)
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
            // The cast is named: unnamed, it would take the column's name, and `ORDER BY` would sort by it instead
            // of reading the commit-order index backwards (a sort of the whole log).
            "SELECT CAST(CAST(transaction_id AS TEXT) AS BIGINT) AS tx, global_position FROM events {postgres_filter}
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

#[cfg(test)]
mod tests {
    use super::{read_after_of, read_batch};
    use crate::{save_checkpoints, Backend, Database, LogPosition};
    use crate::{RecordedEvent, StoredEvent};

    fn scratch_dir(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "omi-store-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ))
    }

    #[tokio::test]
    async fn a_batch_holds_every_checkpoint_asked_for_and_the_events_after_the_position() {
        let dir = scratch_dir("batch");
        let database = Database::open(None, &dir, 2).await.unwrap();
        for i in 0..5 {
            sqlx::query(
                "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                                     payload, metadata)
                 VALUES ('Memory', $1, 1, 'MemoryDeleted', '1.0',
                         '{\"MemoryDeleted\":{\"deleted_at\":\"2026-11-01T10:00:00Z\"}}', '{\"uid\":\"u\"}')",
            )
            .bind(format!("stream-{i}"))
            .execute(database.pool())
            .await
            .unwrap();
        }
        let at = |global| LogPosition {
            transaction: 0,
            global,
        };
        let mut conn = database.pool().acquire().await.unwrap();
        save_checkpoints(&mut conn, &[("ahead", at(4)), ("behind", at(1))], None)
            .await
            .unwrap();
        let names = ["behind", "never-saved", "ahead"];

        let batch = read_batch(&mut conn, Backend::Sqlite, &names, at(1), 3)
            .await
            .unwrap();
        assert_eq!(batch.checkpoints, vec![at(1), LogPosition::START, at(4)]);
        let read: Vec<(i64, &str)> = batch
            .events
            .iter()
            .map(|e| (e.position.global, e.aggregate_id.as_str()))
            .collect();
        assert_eq!(
            read,
            vec![(2, "stream-1"), (3, "stream-2"), (4, "stream-3")]
        );
        assert!(
            batch
                .events
                .iter()
                .all(|e| matches!(e.event, StoredEvent::Memory(_))),
            "each is decoded by its stored name and version: {:?}",
            batch.events
        );

        let end = read_batch(&mut conn, Backend::Sqlite, &names[..1], at(5), 3)
            .await
            .unwrap();
        assert_eq!((end.checkpoints, end.events.len()), (vec![at(1)], 0));
        drop(conn);
        database.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_typed_read_decodes_only_its_types_and_covers_every_event() {
        let dir = scratch_dir("typed-read");
        let database = Database::open(None, &dir, 2).await.unwrap();
        // "Memory" rows whose payload is not a memory event: decoding one would fail the read.
        for (i, kind) in ["Memory", "Elsewhere", "Memory", "Elsewhere", "Memory"]
            .iter()
            .enumerate()
        {
            sqlx::query(
                "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                                     payload, metadata)
                 VALUES ($1, $2, 1, 'Happened', '1', '{\"not\":\"decodable\"}', '{\"uid\":\"u\"}')",
            )
            .bind(*kind)
            .bind(format!("stream-{i}"))
            .execute(database.pool())
            .await
            .unwrap();
        }
        let window = read_after_of(&database, LogPosition::START, 100, &["Elsewhere"])
            .await
            .unwrap();
        assert!(!window.full);
        assert_eq!(
            window.last.map(|p| p.global),
            Some(5),
            "it covers every event read"
        );
        let read: Vec<(i64, &str)> = window
            .events
            .iter()
            .map(|e| (e.position.global, e.aggregate_id.as_str()))
            .collect();
        assert_eq!(read, vec![(2, "stream-1"), (4, "stream-3")]);

        let after = LogPosition {
            transaction: 0,
            global: 2,
        };
        let limited = read_after_of(&database, after, 2, &["Elsewhere"])
            .await
            .unwrap();
        assert_eq!(
            (limited.full, limited.last.map(|p| p.global)),
            (false, Some(5)),
            "one event of the type follows 2: the read covers the log to its end"
        );
        assert_eq!(limited.events.len(), 1);
        let full = read_after_of(&database, LogPosition::START, 1, &["Elsewhere"])
            .await
            .unwrap();
        assert_eq!(
            (full.full, full.last.map(|p| p.global), full.events.len()),
            (true, Some(2), 1),
            "at the limit the read covers the log up to its last event, no further"
        );
        let none = read_after_of(
            &database,
            LogPosition {
                transaction: 0,
                global: 5,
            },
            10,
            &["Elsewhere"],
        )
        .await
        .unwrap();
        assert_eq!((none.full, none.last, none.events.len()), (false, None, 0));

        let marked = read_after_of(
            &database,
            LogPosition {
                transaction: 0,
                global: 4,
            },
            100,
            &["Memory"],
        )
        .await
        .unwrap();
        assert!(
            matches!(
                &marked.events[..],
                [RecordedEvent { event: StoredEvent::Undecodable { aggregate_type, .. }, .. }]
                    if aggregate_type == "Memory"
            ),
            "the Memory row after 4 is read and marked undecodable, never a failed read: {:?}",
            marked.events
        );
        database.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
