//! Claims on work that several server processes could each pick up (the webhook delivery worker's attempts):
//! a claim is a row naming its holder until a time; another process takes it only once that time has passed, so
//! a holder that was killed hands the work over when its claim lapses. Times are microseconds since the Unix
//! epoch. Works alike on both engines (`INSERT … ON CONFLICT … DO UPDATE … WHERE`).

use crate::Database;

/// The most keys one statement claims or releases (well within both engines' limits on parameters).
const KEYS_PER_STATEMENT: usize = 500;

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
    let claimed = claim_many(database, table, &[key], holder, now, until).await?;
    Ok(claimed.len() == 1)
}

/// Claims each of `keys` as [`claim`] does, in one statement per [`KEYS_PER_STATEMENT`] keys; answers the keys
/// whose claims are now `holder`'s.
pub async fn claim_many(
    database: &Database,
    table: &'static str,
    keys: &[&str],
    holder: &str,
    now: i64,
    until: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let mut claimed = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        // $1 holder, $2 until, $3 now, then the keys.
        let rows: Vec<String> = (0..chunk.len())
            .map(|n| format!("(${}, $1, $2)", n + 4))
            .collect();
        let sql = format!(
            "INSERT INTO {table} (delivery_id, holder, expires_at) VALUES {}
             ON CONFLICT (delivery_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE {table}.expires_at < $3
             RETURNING delivery_id",
            rows.join(", ")
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql)
            .bind(holder)
            .bind(until)
            .bind(now);
        for key in chunk {
            query = query.bind(*key);
        }
        let _turn = database.writer_turn().await;
        claimed.extend(query.fetch_all(database.pool()).await?);
    }
    Ok(claimed)
}

/// Gives up `holder`'s claim on `key` (a claim another holder took over meanwhile stays).
pub async fn release(
    database: &Database,
    table: &'static str,
    key: &str,
    holder: &str,
) -> Result<(), sqlx::Error> {
    release_many(database, table, &[key], holder).await
}

/// Gives up `holder`'s claims on `keys`, as [`release`] does, in one statement per [`KEYS_PER_STATEMENT`] keys.
pub async fn release_many(
    database: &Database,
    table: &'static str,
    keys: &[&str],
    holder: &str,
) -> Result<(), sqlx::Error> {
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        let list: Vec<String> = (0..chunk.len()).map(|n| format!("${}", n + 2)).collect();
        let sql = format!(
            "DELETE FROM {table} WHERE holder = $1 AND delivery_id IN ({})",
            list.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(holder);
        for key in chunk {
            query = query.bind(*key);
        }
        let _turn = database.writer_turn().await;
        query.execute(database.pool()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASES: &str = "webhook_delivery_leases";

    #[tokio::test]
    async fn a_claim_is_its_holders_until_it_lapses_or_is_released() {
        let dir = std::env::temp_dir().join(format!(
            "omi-store-leases-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ));
        let database = Database::open(None, &dir, 2).await.unwrap();
        let keys = ["a", "b", "c"];
        let mut first = claim_many(&database, LEASES, &keys, "one", 100, 200)
            .await
            .unwrap();
        first.sort();
        assert_eq!(first, ["a", "b", "c"]);
        // Held: another holder gets none of them before they lapse.
        assert!(claim_many(&database, LEASES, &keys, "two", 150, 250)
            .await
            .unwrap()
            .is_empty());
        assert!(!claim(&database, LEASES, "a", "two", 150, 250)
            .await
            .unwrap());
        // Released ones are free at once; a release by another holder changes nothing.
        release_many(&database, LEASES, &["a", "b"], "one")
            .await
            .unwrap();
        release(&database, LEASES, "c", "two").await.unwrap();
        let mut second = claim_many(&database, LEASES, &keys, "two", 150, 250)
            .await
            .unwrap();
        second.sort();
        assert_eq!(second, ["a", "b"]);
        // Once lapsed, the last one is taken over.
        assert!(claim(&database, LEASES, "c", "two", 201, 300)
            .await
            .unwrap());
        let many: Vec<String> = (0..1_200).map(|n| format!("k{n}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            claim_many(&database, LEASES, &many, "one", 1, 2)
                .await
                .unwrap()
                .len(),
            1_200
        );
        database.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
