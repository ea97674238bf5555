//! Retrying parked events once the cause is fixed (a new version, a repaired row), and skipping one for good.

use std::collections::BTreeMap;
use std::sync::Arc;

use omi_store::{
    list_parked_on, read_stream, release_parked, skip_parked, update_parked_error, Database,
    ParkedStatus,
};

use super::projector::PROJECTOR_LOCK;
use super::{Projection, ProjectionError};

/// What a retry did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RetryReport {
    /// Events applied and no longer parked.
    pub applied: usize,
    /// Events still parked (their stream's first one failed again, with its new error recorded).
    pub still_parked: usize,
}

/// Applies the parked events of `projections` again, stream by stream in their order, while the projector lock
/// keeps the live projector waiting. A stream whose events all apply is released; one that fails again stays
/// parked with the new error, and the others go on.
pub async fn retry_parked(
    database: &Database,
    projections: &[Arc<dyn Projection>],
) -> Result<RetryReport, ProjectionError> {
    let mut tx = database.begin_locked_derived(PROJECTOR_LOCK).await?;
    let mut streams: BTreeMap<(String, String, String), Vec<i64>> = BTreeMap::new();
    for parked in list_parked_on(&mut tx, None).await? {
        if parked.status == ParkedStatus::Parked {
            streams
                .entry((
                    parked.projection,
                    parked.aggregate_type,
                    parked.aggregate_id,
                ))
                .or_default()
                .push(parked.position.global);
        }
    }
    let mut report = RetryReport::default();
    for ((name, aggregate_type, aggregate_id), positions) in streams {
        let Some(projection) = projections.iter().find(|p| p.name() == name) else {
            continue;
        };
        let events: Vec<_> = read_stream(database, &aggregate_type, &aggregate_id)
            .await?
            .into_iter()
            .filter(|e| positions.contains(&e.position.global))
            .collect();
        sqlx::query("SAVEPOINT omi_retry").execute(&mut *tx).await?;
        let mut failure = None;
        for event in &events {
            let outcome = match &event.event {
                super::StoredEvent::Undecodable { error, .. } => Err(error.clone()),
                _ => projection
                    .apply(&mut tx, std::slice::from_ref(event))
                    .await
                    .map_err(|e| e.to_string()),
            };
            if let Err(error) = outcome {
                failure = Some((event.position.global, error));
                break;
            }
        }
        match failure {
            None => {
                sqlx::query("RELEASE SAVEPOINT omi_retry")
                    .execute(&mut *tx)
                    .await?;
                release_parked(&mut tx, &name, &positions).await?;
                report.applied += positions.len();
            }
            Some((global, error)) => {
                sqlx::query("ROLLBACK TO SAVEPOINT omi_retry")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("RELEASE SAVEPOINT omi_retry")
                    .execute(&mut *tx)
                    .await?;
                update_parked_error(&mut tx, &name, global, &error).await?;
                report.still_parked += positions.len();
            }
        }
    }
    tx.commit().await?;
    Ok(report)
}

/// Leaves one parked event out for good, recording why; false when `projection` has no such parked event. The
/// events held behind it stay parked until a retry applies them.
pub async fn skip_parked_event(
    database: &Database,
    projection: &str,
    global_position: i64,
    reason: &str,
) -> Result<bool, ProjectionError> {
    let mut tx = database.begin_locked_derived(PROJECTOR_LOCK).await?;
    let now = crate::time::format(&chrono::Utc::now());
    let skipped = skip_parked(&mut tx, projection, global_position, reason, &now).await?;
    tx.commit().await?;
    Ok(skipped)
}
