//! Rebuilds read models from the start of the log, in one transaction: readers see the old models until the
//! new ones are complete.

use std::sync::Arc;

use omi_store::{log_size, read_after, save_checkpoint, Backend, Database, LogPosition};

use super::projector::PROJECTOR_LOCK;
use super::{Projection, ProjectionError};

/// Events per batch while rebuilding: large, so that read models write few, wide statements.
const REBUILD_BATCH: i64 = 20_000;

/// Empties the tables of `projections` and replays the whole log into them. `progress` hears (events applied,
/// events in the log) after every batch. Returns the position reached.
pub async fn rebuild(
    database: &Database,
    projections: &[Arc<dyn Projection>],
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<LogPosition, ProjectionError> {
    let total = log_size(database).await?.max(0) as u64;
    let mut tx = database.begin_write().await?;
    if database.backend() == Backend::Postgres {
        // Waits for a running server's batch to finish; the server's projector then stands by until we commit.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(PROJECTOR_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    for projection in projections {
        for table in projection.tables() {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
    }
    let mut position = LogPosition::START;
    let mut applied = 0u64;
    progress(0, total);
    loop {
        let events = read_after(database, position, REBUILD_BATCH).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            break;
        };
        for projection in projections {
            projection.apply(&mut tx, &events).await?;
        }
        position = last;
        applied += events.len() as u64;
        progress(applied, total.max(applied));
    }
    for projection in projections {
        save_checkpoint(&mut tx, projection.name(), position).await?;
    }
    tx.commit().await?;
    Ok(position)
}
