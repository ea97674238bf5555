//! Erasure of a user (`DELETE /v1/users/delete-account`): the record that refuses the account at once on every
//! door of every process (table `erasures`, migration 18), and the removal of everything of the user in one
//! transaction: their events (the log keeps gaps where they were; readers follow positions, not counts), every
//! read-model row, parked events, rate-limit counters and API keys.
//!
//! One transaction per user: a process killed in the middle leaves nothing half-erased, and the record stays
//! pending, so the next process that runs the job does it again. On PostgreSQL the transaction takes an advisory
//! lock, so one process erases at a time. On SQLite every connection deletes with `secure_delete` (zeros over
//! the freed bytes, see `database`), and the write-ahead log is checkpointed and truncated afterwards, so the
//! bytes leave the files too.

use std::time::Duration;

use sqlx::Executor;

use crate::{Backend, Database};

/// Arbitrary but fixed: the advisory lock that lets one process erase at a time.
const ERASURE_LOCK: i64 = 0x6f6d_6900_0018;

/// What an erasure removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    /// Events of the user removed from the log.
    pub events: u64,
    /// Rows removed from read models, parked events and counters.
    pub rows: u64,
}

/// Whether the erasure of `uid` was asked for (pending or done): one lookup by primary key.
pub async fn is_erased(database: &Database, uid: &str) -> Result<bool, sqlx::Error> {
    let found: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM erasures WHERE uid = $1")
        .bind(uid)
        .fetch_optional(database.pool())
        .await?;
    Ok(found.is_some())
}

/// Records that `uid` is to be erased, asked at `at_micros` (Unix microseconds); false when it already was.
pub async fn request_erasure(
    database: &Database,
    uid: &str,
    at_micros: i64,
) -> Result<bool, sqlx::Error> {
    let _turn = database.writer_turn().await;
    let done = sqlx::query(
        "INSERT INTO erasures (uid, requested_at) VALUES ($1, $2) ON CONFLICT (uid) DO NOTHING",
    )
    .bind(uid)
    .bind(at_micros)
    .execute(database.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The users whose erasure is asked for and not finished, oldest request first.
pub async fn pending_erasures(database: &Database) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT uid FROM erasures WHERE finished_at IS NULL ORDER BY requested_at, uid",
    )
    .fetch_all(database.pool())
    .await?;
    Ok(rows.into_iter().map(|(uid,)| uid).collect())
}

/// The users erased since `finished_since` (Unix microseconds) of whom the log holds events again: appended by
/// work that was already under way when the erasure was recorded (a listen session, a processing run), too late
/// for the erasure's transaction. One indexed lookup per recent erasure.
pub async fn erasures_with_leftovers(
    database: &Database,
    finished_since: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT erased.uid FROM erasures AS erased
         WHERE erased.finished_at >= $1
           AND EXISTS (SELECT 1 FROM events WHERE events.uid = erased.uid)
         ORDER BY erased.finished_at, erased.uid",
    )
    .bind(finished_since)
    .fetch_all(database.pool())
    .await?;
    Ok(rows.into_iter().map(|(uid,)| uid).collect())
}

/// Removes everything of `uid` in one transaction and marks the erasure finished at `at_micros`; nothing when it
/// was never asked for. `leftovers` erases a finished erasure again (see [`erasures_with_leftovers`]); without
/// it a finished erasure is left as it is (another process did it meanwhile). `read_model_tables` are the tables of every read model,
/// each with a `uid` column (a table without one fails the erasure rather than keep the user's rows). `pause`
/// holds the transaction open after the deletions, before it commits (tests kill the process there).
pub async fn erase(
    database: &Database,
    uid: &str,
    read_model_tables: &[&str],
    at_micros: i64,
    leftovers: bool,
    pause: Option<Duration>,
) -> Result<Option<Erased>, sqlx::Error> {
    let mut tx = database.begin_write().await?;
    if database.backend() == Backend::Postgres {
        tx.execute(sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(ERASURE_LOCK))
            .await?;
    }
    let record: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT finished_at FROM erasures WHERE uid = $1")
            .bind(uid)
            .fetch_optional(&mut *tx)
            .await?;
    let wanted = match record {
        None => false,
        Some((finished_at,)) => finished_at.is_none() || leftovers,
    };
    if !wanted {
        tx.rollback().await?;
        return Ok(None);
    }
    let mut erased = Erased::default();
    // Counters first: the keys' ids are read from the api_keys read model, removed below.
    let statements = [
        "DELETE FROM rate_limit_windows
         WHERE bucket IN (SELECT 'key:' || id FROM api_keys WHERE uid = $1)
            OR substr(bucket, length(bucket) - length($1)) = ':' || $1",
        "DELETE FROM parked_events
         WHERE global_position IN (SELECT global_position FROM events WHERE uid = $1)",
        "DELETE FROM audio_spool WHERE uid = $1",
    ];
    for sql in statements {
        erased.rows += sqlx::query(sql)
            .bind(uid)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    for table in read_model_tables {
        erased.rows += sqlx::query(&format!("DELETE FROM {table} WHERE uid = $1"))
            .bind(uid)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    erased.events = sqlx::query("DELETE FROM events WHERE uid = $1")
        .bind(uid)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if let Some(pause) = pause {
        tracing::warn!(?pause, "erasure paused before its commit (test setting)");
        tokio::time::sleep(pause).await;
    }
    sqlx::query("UPDATE erasures SET finished_at = $2 WHERE uid = $1")
        .bind(uid)
        .bind(at_micros)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(erased))
}

/// On SQLite, copies the write-ahead log into the database file and truncates it to nothing, so that pages an
/// erasure overwrote are gone from the log file too; retried while readers hold old pages (up to `attempts`
/// times, a second apart). Returns whether the log was emptied; always true on PostgreSQL (whose dumps hold live
/// rows only).
pub async fn truncate_write_ahead_log(
    database: &Database,
    attempts: u32,
) -> Result<bool, sqlx::Error> {
    if database.backend() == Backend::Postgres {
        return Ok(true);
    }
    for attempt in 0..attempts.max(1) {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let (busy, _, _): (i64, i64, i64) = {
            let _turn = database.writer_turn().await;
            sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(database.pool())
                .await?
        };
        if busy == 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_log, LogPosition};

    async fn fresh() -> (Database, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "omi-store-erasure-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ));
        (Database::open(None, &dir, 2).await.unwrap(), dir)
    }

    async fn append(database: &Database, uid: &str, stream: &str) {
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                                 payload, metadata)
             VALUES ('Elsewhere', $1, 1, 'Happened', '1.0', '{\"Happened\":{}}', $2)",
        )
        .bind(stream)
        .bind(format!(
            r#"{{"uid":"{uid}","actor":"user","correlation_id":"c"}}"#
        ))
        .execute(database.pool())
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn an_erasure_removes_the_users_events_and_rows_once_and_keeps_the_others() {
        let (database, dir) = fresh().await;
        append(&database, "ann", "a1").await;
        append(&database, "bob", "b1").await;
        append(&database, "ann", "a2").await;
        for (id, uid) in [("m1", "ann"), ("m2", "bob")] {
            sqlx::query(
                "INSERT INTO memories (id, uid, category, scoring, created_at, doc)
                 VALUES ($1, $2, 'other', '0', 0, '{}')",
            )
            .bind(id)
            .bind(uid)
            .execute(database.pool())
            .await
            .unwrap();
        }
        for (position, stream) in [(1, "a1"), (2, "b1")] {
            sqlx::query(
                "INSERT INTO parked_events (projection, transaction_id, global_position, aggregate_type,
                                            aggregate_id, sequence, error, parked_at, status)
                 VALUES ('memories', 0, $1, 'Elsewhere', $2, 1, 'broken', 'now', 'parked')",
            )
            .bind(position)
            .bind(stream)
            .execute(database.pool())
            .await
            .unwrap();
        }
        for bucket in ["user:ann", "wrapped:generate:ann", "user:bob"] {
            crate::counters::hit(&database, bucket, 0).await.unwrap();
        }
        assert!(!is_erased(&database, "ann").await.unwrap());
        assert!(erase(&database, "ann", &["memories"], 1, false, None)
            .await
            .unwrap()
            .is_none());
        assert!(request_erasure(&database, "ann", 1).await.unwrap());
        assert!(!request_erasure(&database, "ann", 2).await.unwrap());
        assert!(is_erased(&database, "ann").await.unwrap());
        assert_eq!(pending_erasures(&database).await.unwrap(), ["ann"]);

        let erased = erase(&database, "ann", &["memories"], 3, false, None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(erased, Erased { events: 2, rows: 4 });
        assert!(pending_erasures(&database).await.unwrap().is_empty());
        assert!(erase(&database, "ann", &["memories"], 4, false, None)
            .await
            .unwrap()
            .is_none());
        let left = read_log(&database, LogPosition::START, 10).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].metadata.uid, "bob");
        let memories: Vec<(String,)> = sqlx::query_as("SELECT uid FROM memories")
            .fetch_all(database.pool())
            .await
            .unwrap();
        assert_eq!(memories, [("bob".to_string(),)]);
        let buckets: Vec<(String,)> = sqlx::query_as("SELECT bucket FROM rate_limit_windows")
            .fetch_all(database.pool())
            .await
            .unwrap();
        assert_eq!(buckets, [("user:bob".to_string(),)]);
        let parked: Vec<(String,)> = sqlx::query_as("SELECT aggregate_id FROM parked_events")
            .fetch_all(database.pool())
            .await
            .unwrap();
        assert_eq!(parked, [("b1".to_string(),)]);
        assert!(erasures_with_leftovers(&database, 0)
            .await
            .unwrap()
            .is_empty());
        append(&database, "ann", "a3").await;
        assert!(erasures_with_leftovers(&database, 4)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            erasures_with_leftovers(&database, 3).await.unwrap(),
            ["ann"]
        );
        let again = erase(&database, "ann", &["memories"], 5, true, None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again, Erased { events: 1, rows: 0 });
        assert!(erasures_with_leftovers(&database, 0)
            .await
            .unwrap()
            .is_empty());
        assert!(truncate_write_ahead_log(&database, 3).await.unwrap());
        database.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_read_model_table_without_a_uid_column_fails_the_erasure() {
        let (database, dir) = fresh().await;
        assert!(request_erasure(&database, "ann", 1).await.unwrap());
        let refused = erase(
            &database,
            "ann",
            &["projection_checkpoints"],
            2,
            false,
            None,
        )
        .await;
        assert!(refused.is_err());
        assert_eq!(pending_erasures(&database).await.unwrap(), ["ann"]);
        database.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
