//! Which conversation a live capture writes into: resuming the user's `in_progress` conversation, processing it
//! when it went silent for too long, and opening a new stub (spec §4.2 step 5, §4.6); and what a live capture
//! writes into it (segments, speaker assignments). Used by listen sessions and by the sweep that finishes
//! conversations left behind by dropped connections.

use crate::time_input::now;
use std::time::Duration;

use chrono::{DateTime, Utc};
use omi_commands::{Appended, CommandError, Metadata};
use omi_domain::capture::{Capture, CaptureCommand};
use omi_domain::conversation::{
    Conversation, ConversationCommand, ConversationEvent, ConversationSource, ConversationStatus,
    TranscriptSegment,
};
use omi_domain::DomainError;
use omi_projections::conversations::{self, ConversationView};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The conversation a session writes into.
#[derive(Debug, Clone)]
pub struct Current {
    pub id: String,
    /// When its speech began (`None` until the first segments).
    pub started_at: Option<DateTime<Utc>>,
}

/// Whether a conversation has been silent for `timeout`.
pub fn is_stale(view: &ConversationView, timeout: Duration, now: DateTime<Utc>) -> bool {
    let last = view.finished_at.unwrap_or(view.created_at);
    now.signed_duration_since(last)
        .to_std()
        .is_ok_and(|silence| silence >= timeout)
}

/// Resumes the user's in-progress conversation, or processes it when stale and opens a new one.
pub async fn resolve(
    state: &AppState,
    uid: &str,
    source: ConversationSource,
    language: &str,
    timeout: Duration,
    metadata: &Metadata,
) -> ApiResult<Current> {
    if let Some(view) = conversations::in_progress(&state.database, uid).await? {
        if is_stale(&view, timeout, now()) {
            finish(state, uid, &view.id, metadata).await?;
        } else {
            return Ok(Current {
                id: view.id,
                started_at: view.started_at,
            });
        }
    }
    open(state, uid, source, language, metadata).await
}

/// Opens a new `in_progress` stub (or joins the one another session opened at the same moment).
pub async fn open(
    state: &AppState,
    uid: &str,
    source: ConversationSource,
    language: &str,
    metadata: &Metadata,
) -> ApiResult<Current> {
    for _ in 0..3 {
        let id = Uuid::new_v4().to_string();
        let begin = CaptureCommand::BeginCapture {
            conversation_id: id.clone(),
            at: now(),
        };
        match state
            .commands
            .execute::<Capture>(uid, begin, metadata)
            .await
        {
            Ok(_) => {
                let start = ConversationCommand::StartConversation {
                    uid: uid.to_string(),
                    source,
                    language: language.to_string(),
                    at: now(),
                };
                state.execute::<Conversation>(&id, start, metadata).await?;
                return Ok(Current {
                    id,
                    started_at: None,
                });
            }
            Err(CommandError::Domain(DomainError::Conflict(message))) => {
                let open = message.trim_start_matches(Capture::OPEN_PREFIX).to_string();
                match conversations::get(&state.database, uid, &open).await? {
                    Some(view) if view.status == ConversationStatus::InProgress => {
                        return Ok(Current {
                            id: view.id,
                            started_at: view.started_at,
                        })
                    }
                    // The pointer names a conversation that was processed or deleted elsewhere: clear it.
                    _ => {
                        let end = CaptureCommand::EndCapture {
                            conversation_id: open,
                            at: now(),
                        };
                        state
                            .commands
                            .execute::<Capture>(uid, end, metadata)
                            .await?;
                    }
                }
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::Conflict(
        "could not open a conversation; try again".into(),
    ))
}

/// Closes conversation `id` and hands it to processing; an empty stub is deleted instead. Returns whether it
/// went to processing.
pub async fn finish(state: &AppState, uid: &str, id: &str, metadata: &Metadata) -> ApiResult<bool> {
    let request = ConversationCommand::RequestProcessing {
        uid: uid.to_string(),
        force: false,
        at: now(),
    };
    let processing = match state.execute::<Conversation>(id, request, metadata).await {
        Ok(appended) => appended
            .events
            .iter()
            .any(|event| matches!(event, ConversationEvent::ProcessingRequested { .. })),
        // Processed, deleted or finished by someone else meanwhile: nothing left to do here.
        Err(ApiError::Conflict(_)) | Err(ApiError::NotFound(_)) => false,
        Err(other) => return Err(other),
    };
    let end = CaptureCommand::EndCapture {
        conversation_id: id.to_string(),
        at: now(),
    };
    state
        .commands
        .execute::<Capture>(uid, end, metadata)
        .await?;
    Ok(processing)
}

/// Appends live segments to the session's conversation. `speech_began` becomes its `started_at` when these are
/// its first segments, `at` its `finished_at`. The caller waits for the read models itself (a session keeps going when they lag).
pub async fn append_segments(
    state: &AppState,
    uid: &str,
    id: &str,
    segments: Vec<TranscriptSegment>,
    speech_began: DateTime<Utc>,
    at: DateTime<Utc>,
    metadata: &Metadata,
) -> Result<Appended<ConversationEvent>, CommandError<DomainError>> {
    let command = ConversationCommand::AppendSegments {
        uid: uid.to_string(),
        segments,
        speech_began,
        at,
    };
    state
        .commands
        .execute::<Conversation>(id, command, metadata)
        .await
}

/// Keeps a chunk of the session's audio (16-bit little-endian mono PCM at `sample_rate` Hz) in the audio spool and
/// records it on the session's conversation, for the user's `audio_bytes` webhooks. The spool is written first: an
/// event never names a chunk that is not kept (a chunk whose event is refused stays unnamed until it expires).
pub async fn record_audio_chunk(
    state: &AppState,
    uid: &str,
    id: &str,
    sample_rate: u32,
    audio: &[u8],
    at: DateTime<Utc>,
    metadata: &Metadata,
) -> Result<(), CommandError<DomainError>> {
    let chunk_id = uuid::Uuid::new_v4().to_string();
    omi_store::audio_spool::put(
        &state.database,
        &chunk_id,
        uid,
        sample_rate,
        audio,
        omi_projections::time::micros(&at),
    )
    .await
    .map_err(|e| CommandError::Store(e.to_string()))?;
    let samples = (audio.len() / 2) as u64;
    let command = ConversationCommand::RecordAudioChunk {
        uid: uid.to_string(),
        chunk_id,
        sample_rate,
        duration_ms: samples * 1000 / u64::from(sample_rate.max(1)),
        at,
    };
    state
        .commands
        .execute::<Conversation>(id, command, metadata)
        .await
        .map(|_| ())
}

/// Marks the segments as spoken by the user (`is_user`) or by a person (`person_id`), without waiting for the
/// read models.
pub async fn assign_segments(
    state: &AppState,
    uid: &str,
    id: &str,
    segment_ids: Vec<String>,
    is_user: bool,
    person_id: Option<String>,
    metadata: &Metadata,
) -> Result<(), CommandError<DomainError>> {
    let command = ConversationCommand::AssignSegments {
        uid: uid.to_string(),
        segment_ids,
        is_user,
        person_id,
        at: now(),
    };
    state
        .commands
        .execute::<Conversation>(id, command, metadata)
        .await
        .map(drop)
}
