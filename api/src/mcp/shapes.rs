//! MCP's shapes of conversations, for its REST API and its tools (spec §7.5).

use omi_domain::conversation::TranscriptSegment;
use omi_projections::conversations::ConversationView;
use serde_json::{json, Value};

/// `Speaker N`, or `User` for the account owner (spec §2.4; there are no people records yet).
fn speaker_name(segment: &TranscriptSegment) -> String {
    if segment.is_user {
        "User".to_string()
    } else {
        format!("Speaker {}", segment.speaker_id)
    }
}

/// The transcript in MCP's shape.
pub fn segments(view: &ConversationView) -> Vec<Value> {
    view.transcript_segments
        .iter()
        .flatten()
        .map(|segment| {
            json!({
                "id": segment.id,
                "text": segment.text,
                "speaker": segment.speaker,
                "speaker_id": segment.speaker_id,
                "speaker_name": speaker_name(segment),
                "is_user": segment.is_user,
                "start": segment.start,
                "end": segment.end,
            })
        })
        .collect()
}

fn as_json(view: &ConversationView) -> Value {
    serde_json::to_value(view).unwrap_or_default()
}

/// The REST list shape: `{id, started_at, finished_at, structured{title, overview, category}, language}`.
pub fn rest_summary(view: &ConversationView) -> Value {
    let full = as_json(view);
    json!({
        "id": view.id,
        "created_at": full["created_at"],
        "started_at": full["started_at"],
        "finished_at": full["finished_at"],
        "structured": {
            "title": view.structured.title,
            "overview": view.structured.overview,
            "category": view.structured.category,
        },
        "language": view.language,
    })
}

/// The REST detail shape: the list shape and the transcript.
pub fn rest_detail(view: &ConversationView) -> Value {
    let mut value = rest_summary(view);
    value["transcript_segments"] = json!(segments(view));
    value
}

/// The tool list shape: `{id, started_at, finished_at, structured, language}` with the whole structured
/// summary (action items and events emptied when locked).
pub fn tool_summary(view: &ConversationView) -> Value {
    let full = as_json(view);
    let mut structured = full["structured"].clone();
    if view.is_locked {
        structured["action_items"] = json!([]);
        structured["events"] = json!([]);
    }
    json!({
        "id": view.id,
        "created_at": full["created_at"],
        "started_at": full["started_at"],
        "finished_at": full["finished_at"],
        "structured": structured,
        "language": view.language,
    })
}

/// The tool detail shape: the list shape with the status, source and transcript.
pub fn tool_detail(view: &ConversationView) -> Value {
    let mut value = tool_summary(view);
    value["status"] = json!(view.status);
    value["source"] = json!(view.source);
    value["discarded"] = json!(view.discarded);
    value["transcript_segments"] = json!(segments(view));
    value
}
