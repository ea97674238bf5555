//! Erasure of accounts (`DELETE /v1/users/delete-account`): the refusal every door asks for, and the durable job
//! that removes an erased user's data.
//!
//! From the moment the erasure is recorded (table `erasures`, shared by every process on one PostgreSQL), every
//! door refuses the account with 401 `This account has been deleted`: user tokens and admin impersonation
//! ([`crate::extract::CurrentUser`]), developer and MCP keys ([`crate::key_auth::find`]) and `/v4/listen`. The
//! command bus's cached aggregates of the user stay in memory until evicted, unreachable: no door lets a command
//! of that user through any more.
//!
//! The job runs in every server process (at start-up, after each request in the process that took it, and every
//! `OMI_ERASURE_TICK_SECS`) and erases the pending accounts one at a time, each in one transaction (see
//! [`omi_store::erasure`]): a process killed in the middle leaves the erasure pending, and the next run does it
//! again from the start. Before it deletes, it waits for the read models to have applied every committed event,
//! so that no projector writes a row of the user back afterwards. The read-model tables are those of every
//! registered projection, each deleted by its `uid` column.

use omi_projections::registry;
use omi_store::{committed_head, erasure, Database};
use tokio::sync::Mutex;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The detail of every refusal of an erased account.
pub const ACCOUNT_DELETED: &str = "This account has been deleted";

/// How many times the SQLite write-ahead log is asked to truncate (a second apart) after an erasure.
const CHECKPOINT_ATTEMPTS: u32 = 30;

/// Refuses `uid` when its erasure was asked for (401); a store that cannot answer is 503, never a pass.
pub async fn refuse_erased(database: &Database, uid: &str) -> ApiResult<()> {
    match erasure::is_erased(database, uid).await {
        Ok(false) => Ok(()),
        Ok(true) => Err(ApiError::Unauthorized(ACCOUNT_DELETED.into())),
        Err(error) => {
            tracing::warn!(%error, "cannot tell whether an account is erased");
            Err(ApiError::Unavailable(
                "The account cannot be checked right now; retry shortly".into(),
            ))
        }
    }
}

/// Every table of every registered read model: each is keyed by `uid`, and an erasure deletes the user's rows
/// from all of them.
pub fn read_model_tables() -> Vec<&'static str> {
    registry()
        .iter()
        .flat_map(|projection| projection.tables().iter().copied())
        .collect()
}

/// How long after an erasure the job still looks for events of the user that work already under way appended
/// after it (a listen session open at the time, a processing run).
const LEFTOVERS_WATCHED: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// One run of the job at a time in this process, wherever it was started from.
static RUNNING: Mutex<()> = Mutex::const_new(());

/// Runs the job now and then every `OMI_ERASURE_TICK_SECS`, until aborted.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            run_logged(&state).await;
            tokio::time::sleep(state.config.erasure_tick).await;
        }
    })
}

/// Runs the job once in the background (after a request recorded an erasure).
pub fn start(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move { run_logged(&state).await });
}

async fn run_logged(state: &AppState) {
    if let Err(error) = run(state).await {
        tracing::warn!(%error, "the erasure job failed; it runs again on its next turn");
    }
}

/// Erases every pending account, oldest request first.
pub async fn run(state: &AppState) -> anyhow::Result<()> {
    let _running = RUNNING.lock().await;
    let database = &state.database;
    let recently = chrono::Utc::now() - LEFTOVERS_WATCHED;
    let leftovers = erasure::erasures_with_leftovers(database, recently.timestamp_micros()).await?;
    let pending = erasure::pending_erasures(database).await?;
    let work = pending
        .into_iter()
        .map(|uid| (uid, false))
        .chain(leftovers.into_iter().map(|uid| (uid, true)));
    for (uid, leftovers) in work {
        let head = committed_head(database).await?;
        if !state
            .projector
            .wait_for(head, state.config.read_your_writes_timeout)
            .await
        {
            anyhow::bail!("the read models have not caught up with the log yet");
        }
        let tables = read_model_tables();
        let now = chrono::Utc::now().timestamp_micros();
        let pause = state.config.erasure_test_pause;
        let erased = erasure::erase(database, &uid, &tables, now, leftovers, pause).await?;
        if !erasure::truncate_write_ahead_log(database, CHECKPOINT_ATTEMPTS).await? {
            tracing::warn!(
                "the write-ahead log could not be truncated after an erasure (readers held it)"
            );
        }
        if let Some(erased) = erased {
            // Said once the erasure is complete, the write-ahead log included. The uid is not logged: the log
            // outlives the erasure.
            tracing::info!(
                events = erased.events,
                rows = erased.rows,
                "erased an account"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_registered_read_model_table_has_a_uid_column() {
        let dir = std::env::temp_dir().join(format!(
            "omi-api-erasure-tables-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        let database = Database::open(None, &dir, 1).await.unwrap();
        for table in read_model_tables() {
            let columns: Vec<(String,)> =
                sqlx::query_as(&format!("SELECT name FROM pragma_table_info('{table}')"))
                    .fetch_all(database.pool())
                    .await
                    .unwrap();
            assert!(!columns.is_empty(), "{table} is not a table");
            assert!(
                columns.iter().any(|(name,)| name == "uid"),
                "read-model table {table} has no uid column: an erasure could not remove a user's rows"
            );
        }
        database.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
