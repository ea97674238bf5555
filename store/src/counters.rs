//! Fixed-window counters shared by every server process (rate limits). Operational state, not a read model:
//! nothing to replay, pruned as windows expire.

use crate::Database;

/// Counts one hit in each of two windows (`(bucket, window start in Unix seconds)`, of different buckets) in one
/// statement and returns the hits so far in each, in order.
pub async fn hit_two(
    database: &Database,
    first: (&str, i64),
    second: (&str, i64),
) -> Result<(i64, i64), sqlx::Error> {
    if first.0 == second.0 {
        return Err(sqlx::Error::Protocol(
            "two windows of one bucket cannot be counted in one statement".into(),
        ));
    }
    let _turn = database.writer_turn().await;
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "INSERT INTO rate_limit_windows (bucket, window_start, hits) VALUES ($1, $2, 1), ($3, $4, 1)
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_windows.hits + 1
         RETURNING bucket, hits",
    )
    .bind(first.0)
    .bind(first.1)
    .bind(second.0)
    .bind(second.1)
    .fetch_all(database.pool())
    .await?;
    let hits_of = |bucket: &str| {
        rows.iter()
            .find(|(b, _)| b == bucket)
            .map(|&(_, hits)| hits)
            .ok_or_else(|| sqlx::Error::Protocol(format!("no count returned for {bucket}")))
    };
    Ok((hits_of(first.0)?, hits_of(second.0)?))
}

/// Counts one hit in the window `(bucket, window start in Unix seconds)` and returns the hits so far in it.
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
