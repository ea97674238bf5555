//! Claims on work that several server processes could each pick up (the webhook delivery worker's attempts):
//! a claim is a row naming its holder until a time; another process takes it only once that time has passed, so
//! a holder that was killed hands the work over when its claim lapses. Times are microseconds since the Unix
//! epoch. Works alike on both engines (`INSERT … ON CONFLICT … DO UPDATE … WHERE`).

use crate::Database;

/// Claims `key` in `table` for `holder` until `until`, unless another holder's claim is still valid at `now`;
/// true when the claim is `holder`'s.
pub async fn claim(
    database: &Database,
    table: &'static str,
    key: &str,
    holder: &str,
    now: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "INSERT INTO {table} (delivery_id, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (delivery_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE {table}.expires_at < $4"
    );
    let _turn = database.writer_turn().await;
    let claimed = sqlx::query(&sql)
        .bind(key)
        .bind(holder)
        .bind(until)
        .bind(now)
        .execute(database.pool())
        .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Gives up `holder`'s claim on `key` (a claim another holder took over meanwhile stays).
pub async fn release(
    database: &Database,
    table: &'static str,
    key: &str,
    holder: &str,
) -> Result<(), sqlx::Error> {
    let sql = format!("DELETE FROM {table} WHERE delivery_id = $1 AND holder = $2");
    let _turn = database.writer_turn().await;
    sqlx::query(&sql)
        .bind(key)
        .bind(holder)
        .execute(database.pool())
        .await?;
    Ok(())
}
