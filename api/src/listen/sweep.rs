//! Finishes conversations that live sessions left behind (a dropped connection leaves its conversation
//! `in_progress`): every so often, any in-progress conversation silent for longer than the minimum timeout is
//! handed to processing, or deleted when it never got content (spec §4.6).

use crate::time_input::now;
use std::time::Duration;

use omi_commands::Metadata;
use omi_projections::conversations;

use crate::app::conversations::capture;
use crate::state::AppState;

/// How often the sweep looks.
const EVERY: Duration = Duration::from_secs(30);

/// Runs the sweep until the process ends.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(
            EVERY.min(
                state
                    .config
                    .min_conversation_timeout
                    .max(Duration::from_secs(1)),
            ),
        );
        loop {
            timer.tick().await;
            if let Err(error) = sweep(&state).await {
                tracing::warn!(%error, "sweep of stale conversations failed");
            }
        }
    })
}

/// One pass: finishes every in-progress conversation silent for longer than the timeout. Returns how many.
pub async fn sweep(state: &AppState) -> Result<usize, crate::error::ApiError> {
    // A session keeps its conversation fresh while speech arrives and finishes it itself after its own
    // timeout; the sweep waits twice the minimum so that it only takes what no session is watching.
    let timeout = state.config.min_conversation_timeout * 2;
    let cutoff = now() - chrono::Duration::from_std(timeout).unwrap_or_default();
    let stale = conversations::stale_in_progress(&state.database, cutoff, 100).await?;
    let mut finished = 0;
    for (uid, id) in stale.into_iter().filter(|(_, id)| !state.live.contains(id)) {
        let metadata = Metadata::caused_by(uid.clone(), "sweep", Metadata::new_correlation_id());
        capture::finish(state, &uid, &id, &metadata).await?;
        finished += 1;
    }
    Ok(finished)
}
