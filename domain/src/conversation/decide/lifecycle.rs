//! Decisions on a conversation's life: the start of a live capture or an import, the segments that stream into
//! a capture, discarding and restoring, and deletion by its user.

use serde_json::Value;

use super::{conflict, owned, Decision};
use crate::conversation::state::State;
use crate::conversation::{
    merge_segments, ConversationEvent as E, ConversationSource, ConversationStatus, Geolocation,
    TranscriptSegment,
};
use crate::{DomainError, Timestamp};

/// Opens the `in_progress` stub of a live capture; a conversation starts once.
pub(crate) fn start(
    state: Option<&State>,
    uid: String,
    source: ConversationSource,
    language: String,
    at: Timestamp,
) -> Decision {
    if state.is_some() {
        return Err(conflict("Conversation already exists"));
    }
    Ok(vec![E::ConversationStarted {
        uid,
        source,
        language,
        created_at: at,
    }])
}

/// Records a finished conversation from segments or text and asks for its first processing run.
#[allow(clippy::too_many_arguments)] // one per field of `ConversationCommand::ImportConversation`
pub(crate) fn import(
    state: Option<&State>,
    uid: String,
    source: ConversationSource,
    language: String,
    started_at: Timestamp,
    finished_at: Timestamp,
    segments: Vec<TranscriptSegment>,
    geolocation: Option<Geolocation>,
    external_data: Option<Value>,
    at: Timestamp,
) -> Decision {
    if state.is_some() {
        return Err(conflict("Conversation already exists"));
    }
    if segments.is_empty() && external_data.is_none() {
        return Err(DomainError::Invalid(
            "A conversation needs transcript segments or text".into(),
        ));
    }
    if finished_at < started_at {
        return Err(DomainError::Invalid(
            "finished_at must not be before started_at".into(),
        ));
    }
    Ok(vec![
        E::ConversationImported {
            uid,
            source,
            language,
            created_at: started_at,
            started_at,
            finished_at,
            segments,
            geolocation,
            external_data,
        },
        E::ProcessingRequested {
            run: 1,
            force: false,
            reprocess: false,
            language: None,
            requested_at: at,
        },
    ])
}

/// Merges live segments into an `in_progress` conversation (spec §2.4). The first segments set `started_at`;
/// segments that merge to nothing record nothing.
pub(crate) fn append_segments(
    state: Option<&State>,
    uid: String,
    segments: Vec<TranscriptSegment>,
    speech_began: Timestamp,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    if current.status != ConversationStatus::InProgress {
        return Err(conflict("Conversation is not in progress"));
    }
    let merged = merge_segments(&current.segments, segments);
    if merged.is_empty() {
        return Ok(vec![]);
    }
    let started_at = current.started_at.is_none().then_some(speech_began);
    Ok(vec![E::SegmentsAppended {
        segments: merged,
        started_at,
        finished_at: at,
    }])
}

/// Records a chunk of the live capture's audio kept in the spool.
pub(crate) fn record_audio_chunk(
    state: Option<&State>,
    uid: String,
    chunk_id: String,
    sample_rate: u32,
    duration_ms: u64,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    if current.status != ConversationStatus::InProgress {
        return Err(conflict("Conversation is not in progress"));
    }
    Ok(vec![E::AudioChunkRecorded {
        chunk_id,
        sample_rate,
        duration_ms,
        recorded_at: at,
    }])
}

/// Discards or restores a conversation; asking for the flag it has records nothing.
pub(crate) fn set_discarded(
    state: Option<&State>,
    uid: String,
    discarded: bool,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    if current.discarded == discarded {
        return Ok(vec![]);
    }
    Ok(vec![E::DiscardedChanged { discarded, at }])
}

/// Deletes a conversation at its user's request.
pub(crate) fn delete(state: Option<&State>, uid: String, at: Timestamp) -> Decision {
    owned(state, &uid)?;
    Ok(vec![E::ConversationDeleted {
        reason: "user".into(),
        at,
    }])
}
