//! Hand-offs to processing: closing the in-progress conversation (`POST /v1/conversations`), reprocessing and
//! merging. Processing itself is a reaction to `ProcessingRequested`; the requests that the reference answers
//! with the processed conversation wait for it by polling the read model.

use std::collections::HashSet;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use omi_domain::capture::{Capture, CaptureCommand};
use omi_domain::conversation::{
    Conversation, ConversationCommand, ConversationEvent, ConversationStatus, TranscriptSegment,
};
use omi_projections::conversations::{self, ConversationView};
use omi_store::LogPosition;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::app::conversations::imports::segment_id;
use crate::app::conversations::wait_for_processing;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, CurrentUser, Params, Path};
use crate::state::AppState;
use crate::time_input::now;

/// Consecutive conversations further apart than this make a merge answer with a warning.
const MERGE_GAP_WARNING_SECONDS: i64 = 3_600;

/// `POST /v1/conversations`: closes the user's in-progress conversation, hands it to processing, and answers
/// it processed. An in-progress conversation without content is deleted instead (404).
/// The closed conversation, processed, and the messages processing wrote (none: there is no chat yet).
#[derive(Serialize, JsonSchema)]
pub(super) struct Closed {
    conversation: ConversationView,
    messages: Vec<Value>,
}

pub(super) async fn close_in_progress(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<Closed>> {
    let Some(conversation) = conversations::in_progress(&state.database, &user.uid).await? else {
        return Err(ApiError::NotFound(
            "Conversation in progress not found".into(),
        ));
    };
    let metadata = user.metadata();
    let at = now();
    let requested = state
        .commands
        .execute::<Conversation>(
            &conversation.id,
            ConversationCommand::RequestProcessing {
                uid: user.uid.clone(),
                force: true,
                at,
            },
            &metadata,
        )
        .await?;
    let ended = state
        .commands
        .execute::<Capture>(
            &user.uid,
            CaptureCommand::EndCapture {
                conversation_id: conversation.id.clone(),
                at,
            },
            &metadata,
        )
        .await?;
    state
        .caught_up(requested.position.max(ended.position))
        .await?;
    let emptied = requested
        .events
        .iter()
        .any(|event| matches!(event, ConversationEvent::ConversationDeleted { .. }));
    if emptied {
        return Err(ApiError::NotFound(
            "The conversation in progress had no content and was discarded".into(),
        ));
    }
    let processed = wait_for_processing(&state, &user.uid, &conversation.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Conversation not found".into()))?;
    Ok(Json(Closed {
        conversation: processed,
        messages: Vec::new(),
    }))
}

#[derive(Deserialize, JsonSchema)]
pub(super) struct ReprocessQuery {
    language_code: Option<String>,
    /// Accepted for compatibility; summarization apps do not exist yet.
    #[allow(dead_code)]
    app_id: Option<String>,
}

/// `POST /v1/conversations/{id}/reprocess`: processes a completed (or failed) conversation again and answers
/// it once the new run finished.
pub(super) async fn reprocess(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<ReprocessQuery>,
) -> ApiResult<Json<ConversationView>> {
    let command = ConversationCommand::Reprocess {
        uid: user.uid.clone(),
        language: query
            .language_code
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty()),
        at: now(),
    };
    state
        .execute::<Conversation>(&id, command, &user.metadata())
        .await?;
    let processed = wait_for_processing(&state, &user.uid, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Conversation not found".into()))?;
    Ok(Json(processed))
}

#[derive(Deserialize, JsonSchema)]
pub(super) struct MergeBody {
    conversation_ids: Vec<String>,
    /// Accepted; the merged conversation is always processed (an import always asks for processing).
    #[allow(dead_code)]
    #[serde(default)]
    reprocess: Option<bool>,
}

/// When a conversation began: `started_at`, else `created_at`.
fn began(view: &ConversationView) -> DateTime<Utc> {
    view.started_at.unwrap_or(view.created_at)
}

/// When a conversation ended: `finished_at`, else its start plus its last segment's end.
fn ended(view: &ConversationView) -> DateTime<Utc> {
    view.finished_at.unwrap_or_else(|| {
        let last = view
            .transcript_segments
            .iter()
            .flatten()
            .map(|s| s.end)
            .fold(0.0, f64::max);
        chrono::TimeDelta::try_milliseconds((last * 1000.0) as i64)
            .and_then(|delta| began(view).checked_add_signed(delta))
            .unwrap_or_else(|| began(view))
    })
}

fn seconds_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 1000.0
}

/// What the merged conversation is made of.
struct Merged {
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    segments: Vec<TranscriptSegment>,
    external_data: Option<Value>,
}

/// Concatenates the sources (sorted by start) onto one timeline that starts with the first: each source's
/// segments move by its distance from the first start. A text import among segment conversations becomes
/// one segment spanning it; when no source has segments, the texts are joined into one text import.
fn merge_sources(id: &str, sources: &[ConversationView]) -> Option<Merged> {
    let first = sources.first()?;
    let started_at = began(first);
    let finished_at = sources.iter().map(ended).max()?.max(started_at);
    let text_of = |view: &ConversationView| {
        view.external_data
            .as_ref()
            .and_then(|data| data.get("text"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .filter(|text| !text.trim().is_empty())
    };
    let has_segments = sources.iter().any(|s| {
        s.transcript_segments
            .as_ref()
            .is_some_and(|v| !v.is_empty())
    });
    if !has_segments {
        let texts: Vec<String> = sources.iter().filter_map(text_of).collect();
        if texts.is_empty() {
            return None;
        }
        let text_source = first
            .external_data
            .as_ref()
            .and_then(|data| data.get("text_source"))
            .cloned()
            .unwrap_or_else(|| json!("other_text"));
        let ids: Vec<&str> = sources.iter().map(|s| s.id.as_str()).collect();
        return Some(Merged {
            started_at,
            finished_at,
            segments: Vec::new(),
            external_data: Some(json!({
                "text": texts.join("\n\n"),
                "text_source": text_source,
                "merged_from": ids,
            })),
        });
    }
    let mut segments = Vec::new();
    for source in sources {
        let offset = seconds_between(started_at, began(source));
        let own = source.transcript_segments.as_deref().unwrap_or_default();
        if own.is_empty() {
            if let Some(text) = text_of(source) {
                let length = seconds_between(began(source), ended(source)).max(1.0);
                segments.push(TranscriptSegment {
                    id: String::new(),
                    text,
                    speaker: "SPEAKER_00".into(),
                    speaker_id: 0,
                    is_user: false,
                    person_id: None,
                    start: offset,
                    end: offset + length,
                    translations: Vec::new(),
                    speech_profile_processed: false,
                    stt_provider: None,
                });
            }
            continue;
        }
        for segment in own {
            let mut moved = segment.clone();
            moved.start += offset;
            moved.end += offset;
            segments.push(moved);
        }
    }
    for (index, segment) in segments.iter_mut().enumerate() {
        segment.id = segment_id(id, index);
    }
    Some(Merged {
        started_at,
        finished_at,
        segments,
        external_data: None,
    })
}

/// `POST /v1/conversations/merge`: merges completed conversations into a new one, which is then processed;
/// the sources end as merged.
pub(super) async fn merge(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(body): Body<MergeBody>,
) -> ApiResult<Json<MergeStarted>> {
    let mut seen = HashSet::new();
    let ids: Vec<String> = body
        .conversation_ids
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect();
    if ids.len() < 2 {
        return Err(ApiError::BadRequest(
            "At least two different conversations are needed to merge".into(),
        ));
    }
    let mut sources = conversations::get_many(&state.database, &user.uid, &ids).await?;
    if let Some(missing) = ids.iter().find(|id| !sources.iter().any(|s| s.id == **id)) {
        return Err(ApiError::NotFound(format!(
            "Conversation {missing} not found"
        )));
    }
    if let Some(busy) = sources
        .iter()
        .find(|s| s.status != ConversationStatus::Completed)
    {
        return Err(ApiError::BadRequest(format!(
            "Conversation {} cannot be merged: it is {}, not completed",
            busy.id,
            busy.status.as_str()
        )));
    }
    sources.sort_by(|a, b| {
        began(a)
            .cmp(&began(b))
            .then(a.created_at.cmp(&b.created_at))
            .then(a.id.cmp(&b.id))
    });
    let warning = sources
        .windows(2)
        .any(|pair| (began(&pair[1]) - ended(&pair[0])).num_seconds() > MERGE_GAP_WARNING_SECONDS)
        .then_some("Some of these conversations are more than an hour apart");
    let new_id = Uuid::new_v4().to_string();
    let merged = merge_sources(&new_id, &sources).ok_or_else(|| {
        ApiError::BadRequest("These conversations have no transcript or text to merge".into())
    })?;
    let first = &sources[0];
    let metadata = user.metadata();
    let at = now();
    let mut last: Option<LogPosition> = None;
    for source in &sources {
        let appended = state
            .commands
            .execute::<Conversation>(
                &source.id,
                ConversationCommand::BeginMerge {
                    uid: user.uid.clone(),
                    into: new_id.clone(),
                    at,
                },
                &metadata,
            )
            .await?;
        last = last.max(appended.position);
    }
    let import = ConversationCommand::ImportConversation {
        uid: user.uid.clone(),
        source: first.source,
        language: first.language.clone(),
        started_at: merged.started_at,
        finished_at: merged.finished_at,
        segments: merged.segments,
        geolocation: first.geolocation.clone(),
        external_data: merged.external_data,
        at,
    };
    let appended = state
        .commands
        .execute::<Conversation>(&new_id, import, &metadata)
        .await?;
    last = last.max(appended.position);
    for source in &sources {
        let appended = state
            .commands
            .execute::<Conversation>(
                &source.id,
                ConversationCommand::FinishMerge {
                    uid: user.uid.clone(),
                    into: new_id.clone(),
                    at,
                },
                &metadata,
            )
            .await?;
        last = last.max(appended.position);
    }
    state.caught_up(last).await?;
    Ok(Json(MergeStarted {
        status: Merging::Merging,
        message: "Merge started",
        conversation_ids: ids,
        new_conversation_id: new_id,
        warning,
    }))
}

/// The merge answer: the new conversation is being processed.
#[derive(Serialize, JsonSchema)]
pub(super) struct MergeStarted {
    status: Merging,
    message: &'static str,
    /// The merged conversations, each once, in the order sent.
    conversation_ids: Vec<String>,
    new_conversation_id: String,
    /// Present when some of the conversations are more than an hour apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<&'static str>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Merging {
    Merging,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use omi_domain::conversation::ConversationSource;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
    }

    fn view(
        id: &str,
        start: i64,
        segments: Vec<(f64, f64)>,
        text: Option<&str>,
    ) -> ConversationView {
        let segments: Vec<TranscriptSegment> = segments
            .into_iter()
            .enumerate()
            .map(|(i, (s, e))| TranscriptSegment {
                id: format!("{id}-{i}"),
                text: format!("{id} {i}"),
                speaker: "SPEAKER_01".into(),
                speaker_id: 1,
                is_user: false,
                person_id: None,
                start: s,
                end: e,
                translations: vec![],
                speech_profile_processed: false,
                stt_provider: None,
            })
            .collect();
        let value = json!({
            "id": id,
            "created_at": at(start),
            "updated_at": at(start),
            "started_at": at(start),
            "finished_at": at(start + 60),
            "source": ConversationSource::Omi,
            "language": "en",
            "structured": {"title": "", "overview": "", "emoji": "🧠", "category": "other",
                           "action_items": [], "events": []},
            "transcript_segments": segments,
            "geolocation": null,
            "photos": [], "apps_results": [], "plugins_results": [], "suggested_summarization_apps": [],
            "external_data": text.map(|t| json!({"text": t, "text_source": "message"})),
            "discarded": false, "visibility": "private", "starred": false, "status": "completed",
            "is_locked": false, "folder_id": null, "processing_conversation_id": null,
            "private_cloud_sync_enabled": false, "deleted": false,
        });
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn segments_move_onto_the_timeline_of_the_first_conversation() {
        let sources = vec![
            view("a", 0, vec![(0.0, 5.0), (6.0, 10.0)], None),
            view("b", 100, vec![(1.0, 2.0)], None),
        ];
        let merged = merge_sources("m", &sources).unwrap();
        assert_eq!(merged.started_at, at(0));
        assert_eq!(merged.finished_at, at(160));
        let times: Vec<(f64, f64)> = merged.segments.iter().map(|s| (s.start, s.end)).collect();
        assert_eq!(times, vec![(0.0, 5.0), (6.0, 10.0), (101.0, 102.0)]);
        assert_eq!(merged.segments[2].text, "b 0");
        assert_eq!(merged.segments[0].id, segment_id("m", 0));
        assert_eq!(merged.external_data, None);
    }

    #[test]
    fn text_imports_merge_into_one_text_or_one_segment_each() {
        let texts = vec![
            view("a", 0, vec![], Some("first")),
            view("b", 100, vec![], Some("second")),
        ];
        let merged = merge_sources("m", &texts).unwrap();
        assert!(merged.segments.is_empty());
        let data = merged.external_data.unwrap();
        assert_eq!(data["text"], "first\n\nsecond");
        assert_eq!(data["text_source"], "message");

        let mixed = vec![
            view("a", 0, vec![(0.0, 5.0)], None),
            view("b", 100, vec![], Some("note")),
        ];
        let merged = merge_sources("m", &mixed).unwrap();
        assert_eq!(merged.segments.len(), 2);
        assert_eq!(merged.segments[1].text, "note");
        assert_eq!(
            (merged.segments[1].start, merged.segments[1].end),
            (100.0, 160.0)
        );

        assert!(merge_sources(
            "m",
            &[view("a", 0, vec![], None), view("b", 1, vec![], None)]
        )
        .is_none());
    }
}
