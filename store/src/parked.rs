//! Events a read model parked instead of applying (see migration 8): recorded, listed, skipped with a decision,
//! released once a retry applied them.

use sqlx::{AnyConnection, Row};

use crate::{Database, LogPosition};

/// What became of a parked event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParkedStatus {
    /// Not applied; its stream's later events wait behind it.
    Parked,
    /// Left out for good by an operator's decision.
    Skipped,
}

impl ParkedStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ParkedStatus::Parked => "parked",
            ParkedStatus::Skipped => "skipped",
        }
    }
}

/// One event one read model did not apply.
#[derive(Debug, Clone, PartialEq)]
pub struct ParkedEvent {
    pub projection: String,
    pub position: LogPosition,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub error: String,
    /// RFC 3339.
    pub parked_at: String,
    pub status: ParkedStatus,
    /// Why it was skipped, when it was.
    pub decision: Option<String>,
    pub decided_at: Option<String>,
}

const COLUMNS: &str =
    "projection, transaction_id, global_position, aggregate_type, aggregate_id, sequence, error,
    parked_at, status, decision, decided_at";

/// Records `events` as parked; an event already recorded for its read model stays as it is.
pub async fn park(conn: &mut AnyConnection, events: &[ParkedEvent]) -> Result<(), sqlx::Error> {
    for event in events {
        sqlx::query(&format!(
            "INSERT INTO parked_events ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (projection, global_position) DO NOTHING"
        ))
        .bind(&event.projection)
        .bind(event.position.transaction)
        .bind(event.position.global)
        .bind(&event.aggregate_type)
        .bind(&event.aggregate_id)
        .bind(event.sequence)
        .bind(&event.error)
        .bind(&event.parked_at)
        .bind(event.status.as_str())
        .bind(event.decision.as_deref())
        .bind(event.decided_at.as_deref())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Every parked event (of one read model, when named), oldest first.
pub async fn list_parked(
    database: &Database,
    projection: Option<&str>,
) -> Result<Vec<ParkedEvent>, sqlx::Error> {
    let mut conn = database.pool().acquire().await?;
    list_parked_on(&mut conn, projection).await
}

/// [`list_parked`] on `conn`.
pub async fn list_parked_on(
    conn: &mut AnyConnection,
    projection: Option<&str>,
) -> Result<Vec<ParkedEvent>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM parked_events WHERE $1 IS NULL OR projection = $1
         ORDER BY projection, transaction_id, global_position"
    ))
    .bind(projection)
    .fetch_all(conn)
    .await?;
    rows.iter().map(parked_event).collect()
}

/// How many events each read model has parked now (status `parked`), by name; read models with none are absent.
pub async fn parked_counts(database: &Database) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT projection, COUNT(*) FROM parked_events WHERE status = 'parked'
         GROUP BY projection ORDER BY projection",
    )
    .fetch_all(database.pool())
    .await
}

/// Marks one parked event as skipped with the operator's reason; false when no such parked event exists.
pub async fn skip_parked(
    conn: &mut AnyConnection,
    projection: &str,
    global_position: i64,
    reason: &str,
    decided_at: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE parked_events SET status = 'skipped', decision = $3, decided_at = $4
         WHERE projection = $1 AND global_position = $2 AND status = 'parked'",
    )
    .bind(projection)
    .bind(global_position)
    .bind(reason)
    .bind(decided_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes parked events once a retry applied them.
pub async fn release_parked(
    conn: &mut AnyConnection,
    projection: &str,
    global_positions: &[i64],
) -> Result<(), sqlx::Error> {
    for global in global_positions {
        sqlx::query("DELETE FROM parked_events WHERE projection = $1 AND global_position = $2")
            .bind(projection)
            .bind(*global)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Records a new error for a parked event whose retry failed again.
pub async fn update_parked_error(
    conn: &mut AnyConnection,
    projection: &str,
    global_position: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE parked_events SET error = $3 WHERE projection = $1 AND global_position = $2",
    )
    .bind(projection)
    .bind(global_position)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(())
}

fn parked_event(row: &sqlx::any::AnyRow) -> Result<ParkedEvent, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(ParkedEvent {
        projection: row.try_get("projection")?,
        position: LogPosition {
            transaction: row.try_get("transaction_id")?,
            global: row.try_get("global_position")?,
        },
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        sequence: row.try_get("sequence")?,
        error: row.try_get("error")?,
        parked_at: row.try_get("parked_at")?,
        status: if status == "skipped" {
            ParkedStatus::Skipped
        } else {
            ParkedStatus::Parked
        },
        decision: row.try_get("decision")?,
        decided_at: row.try_get("decided_at")?,
    })
}
