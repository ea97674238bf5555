//! Where each consumer of the log (projection or reaction) stands; a projection writes it in the same
//! transaction as its read model.

use crate::LogPosition;
use sqlx::AnyConnection;

/// The checkpoint of `name`, or the start of the log when it has none.
pub async fn load_checkpoint(
    conn: &mut AnyConnection,
    name: &str,
) -> Result<LogPosition, sqlx::Error> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT transaction_id, global_position FROM projection_checkpoints WHERE name = $1",
    )
    .bind(name)
    .fetch_optional(conn)
    .await?;
    Ok(row
        .map(|(transaction, global)| LogPosition {
            transaction,
            global,
        })
        .unwrap_or(LogPosition::START))
}

/// Records that `name` has applied everything up to `position`.
pub async fn save_checkpoint(
    conn: &mut AnyConnection,
    name: &str,
    position: LogPosition,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO projection_checkpoints (name, transaction_id, global_position) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET transaction_id = excluded.transaction_id,
                                          global_position = excluded.global_position",
    )
    .bind(name)
    .bind(position.transaction)
    .bind(position.global)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records where each of `checkpoints` (name, position) stands, in one statement; with `notify`, the same
/// statement also announces it on that PostgreSQL channel (delivered once, at commit).
pub async fn save_checkpoints(
    conn: &mut AnyConnection,
    checkpoints: &[(&str, LogPosition)],
    notify: Option<&str>,
) -> Result<(), sqlx::Error> {
    if checkpoints.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO projection_checkpoints (name, transaction_id, global_position) VALUES {}
         ON CONFLICT (name) DO UPDATE SET transaction_id = excluded.transaction_id,
                                          global_position = excluded.global_position{}",
        (0..checkpoints.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect::<Vec<_>>()
            .join(", "),
        match notify {
            // Identical notifications of one transaction are delivered once.
            Some(_) => format!(" RETURNING pg_notify(${}, '')", 3 * checkpoints.len() + 1),
            None => String::new(),
        }
    );
    let mut query = sqlx::query(&sql);
    for (name, position) in checkpoints {
        query = query
            .bind(*name)
            .bind(position.transaction)
            .bind(position.global);
    }
    if let Some(channel) = notify {
        query = query.bind(channel);
    }
    query.execute(conn).await?;
    Ok(())
}
