//! Decisions on processing (spec §3.1): closing a live capture for processing, processing a finished
//! conversation again, and the result or failure of a run. Each request opens a new run; a result or failure
//! of any other run records nothing rather than being refused, since the pipeline may deliver it after a newer
//! run began.

use super::{conflict, owned, Decision};
use crate::conversation::state::State;
use crate::conversation::{
    AppResult, ConversationEvent as E, ConversationStatus, Embedding, ExtractedMemory, Structured,
};
use crate::trend::TrendMention;
use crate::Timestamp;

/// Closes an `in_progress` conversation and asks for its next run; a stub without segments is deleted instead.
pub(crate) fn request(state: Option<&State>, uid: String, force: bool, at: Timestamp) -> Decision {
    let current = owned(state, &uid)?;
    if current.status != ConversationStatus::InProgress {
        return Err(conflict("Conversation is not in progress"));
    }
    if current.segments.is_empty() {
        return Ok(vec![E::ConversationDeleted {
            reason: "empty".into(),
            at,
        }]);
    }
    Ok(vec![E::ProcessingRequested {
        run: current.run + 1,
        force,
        reprocess: false,
        language: None,
        requested_at: at,
    }])
}

/// Asks for another run of a completed or failed conversation, optionally in another language.
pub(crate) fn reprocess(
    state: Option<&State>,
    uid: String,
    language: Option<String>,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    if !matches!(
        current.status,
        ConversationStatus::Completed | ConversationStatus::Failed
    ) {
        return Err(conflict(
            "Only a completed or failed conversation can be reprocessed",
        ));
    }
    Ok(vec![E::ProcessingRequested {
        run: current.run + 1,
        force: true,
        reprocess: true,
        language,
        requested_at: at,
    }])
}

/// What a processing run produced.
pub(crate) struct RunResult {
    pub run: u32,
    pub structured: Structured,
    pub discarded: bool,
    pub memories: Vec<ExtractedMemory>,
    pub trends: Vec<TrendMention>,
    pub published: bool,
    pub folder_id: Option<String>,
}

/// Records the result of its run, if that is the current run: the structure, then the trend mentions when
/// the conversation is kept and mentions any whitelisted topic (once each), then its move into the result's
/// folder when it is kept and in no folder yet.
pub(crate) fn complete(state: Option<&State>, result: RunResult, at: Timestamp) -> Decision {
    let RunResult {
        run,
        structured,
        discarded,
        memories,
        trends,
        published,
        folder_id,
    } = result;
    if !is_current_run(state, run) {
        return Ok(vec![]);
    }
    let in_no_folder = state.is_some_and(|current| current.folder_id.is_none());
    let folder = folder_id.filter(|_| !discarded && in_no_folder);
    let mentions = if discarded {
        Vec::new()
    } else {
        TrendMention::distinct(trends)
    };
    let mut events = vec![E::ConversationProcessed {
        run,
        structured,
        discarded,
        memories,
        published,
        completed_at: at,
    }];
    if !mentions.is_empty() {
        events.push(E::TrendsExtracted {
            run,
            mentions,
            extracted_at: at,
        });
    }
    if let Some(folder_id) = folder {
        events.push(E::MovedToFolder {
            folder_id: Some(folder_id),
            at,
        });
    }
    Ok(events)
}

/// Records the summarization apps' results of run `run`, if it is the current run and the conversation is
/// completed and kept.
pub(crate) fn app_results(
    state: Option<&State>,
    uid: String,
    run: u32,
    results: Vec<AppResult>,
    suggested_apps: Vec<String>,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    let kept = current.status == ConversationStatus::Completed && !current.discarded;
    if !is_current_run(state, run) || !kept {
        return Ok(vec![]);
    }
    Ok(vec![E::AppResultsRecorded {
        run,
        results,
        suggested_apps,
        recorded_at: at,
    }])
}

/// Records the embedding of run `run` by `model`, if it is the current run, the conversation is completed, and
/// this run has no embedding by this model yet (a retried reaction records nothing twice).
pub(crate) fn embedding(
    state: Option<&State>,
    uid: String,
    run: Option<u32>,
    text: u64,
    model: String,
    vector: Embedding,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    let run = run.unwrap_or(current.run);
    if !is_current_run(state, run) || current.status != ConversationStatus::Completed {
        return Ok(vec![]);
    }
    // A vector of a text the conversation no longer has would mislead search; the edit's own embedding follows.
    if text != current.text_fingerprint() {
        return Ok(vec![]);
    }
    if current.embedded.as_ref() == Some(&(run, model.clone()))
        && current.embedded_text == Some(text)
    {
        return Ok(vec![]);
    }
    Ok(vec![E::ConversationEmbedded {
        run,
        model,
        vector,
        embedded_at: at,
    }])
}

/// Records that run `run` failed, if it is the current run.
pub(crate) fn fail(state: Option<&State>, run: u32, reason: String, at: Timestamp) -> Decision {
    if !is_current_run(state, run) {
        return Ok(vec![]);
    }
    Ok(vec![E::ConversationFailed {
        run,
        reason,
        failed_at: at,
    }])
}

/// Whether `run` is the conversation's latest run and the conversation is processing or processed (not a live
/// capture, not one being merged).
fn is_current_run(state: Option<&State>, run: u32) -> bool {
    state.is_some_and(|current| {
        current.run == run
            && matches!(
                current.status,
                ConversationStatus::Processing
                    | ConversationStatus::Completed
                    | ConversationStatus::Failed
            )
    })
}
