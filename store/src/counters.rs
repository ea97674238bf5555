//! Fixed-window counters shared by every server process (rate limits). Operational state, not a read model:
//! nothing to replay, pruned as windows expire.

use crate::Database;

/// Counts one hit in `bucket`'s window starting at `window_start` (Unix seconds) and returns the hits so far.
pub async fn hit(database: &Database, bucket: &str, window_start: i64) -> Result<i64, sqlx::Error> {
    let _turn = database.writer_turn().await;
    let (hits,): (i64,) = sqlx::query_as(
        "INSERT INTO rate_limit_windows (bucket, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_windows.hits + 1
         RETURNING hits",
    )
    .bind(bucket)
    .bind(window_start)
    .fetch_one(database.pool())
    .await?;
    Ok(hits)
}

/// Removes windows that started before `before` (Unix seconds); returns how many.
pub async fn prune(database: &Database, before: i64) -> Result<u64, sqlx::Error> {
    let _turn = database.writer_turn().await;
    let result = sqlx::query("DELETE FROM rate_limit_windows WHERE window_start < $1")
        .bind(before)
        .execute(database.pool())
        .await?;
    Ok(result.rows_affected())
}
