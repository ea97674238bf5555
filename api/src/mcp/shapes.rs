//! MCP's shapes of conversations, for its REST API and its tools (spec §7.5).

use omi_projections::conversations::ConversationView;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};

use crate::app::conversations::shapes::{speaker_name, ConversationHead};

/// A transcript segment in MCP's shape.
#[derive(Debug, Serialize, JsonSchema)]
pub struct McpSegment {
    id: String,
    text: String,
    speaker: String,
    speaker_id: u32,
    /// `User` for the account owner, else `Speaker N`.
    speaker_name: String,
    is_user: bool,
    /// Seconds from the start of the conversation.
    start: f64,
    end: f64,
}

/// The transcript in MCP's shape.
pub fn segments(view: &ConversationView) -> Vec<McpSegment> {
    view.transcript_segments
        .iter()
        .flatten()
        .map(|segment| McpSegment {
            id: segment.id.clone(),
            text: segment.text.clone(),
            speaker: segment.speaker.clone(),
            speaker_id: segment.speaker_id,
            speaker_name: speaker_name(segment),
            is_user: segment.is_user,
            start: segment.start,
            end: segment.end,
        })
        .collect()
}

fn as_json(view: &ConversationView) -> Value {
    serde_json::to_value(view).unwrap_or_default()
}

/// A conversation in the REST list shape.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RestSummary {
    #[serde(flatten)]
    head: ConversationHead,
    structured: RestStructured,
    language: String,
}

/// The part of the structured summary the REST shapes show.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RestStructured {
    title: String,
    overview: String,
    category: String,
}

/// A conversation in the REST detail shape: the list shape and the transcript.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RestDetail {
    #[serde(flatten)]
    summary: RestSummary,
    transcript_segments: Vec<McpSegment>,
}

/// The REST list shape: `{id, created_at, started_at, finished_at, structured{title, overview, category},
/// language}`.
pub fn rest_summary(view: &ConversationView) -> RestSummary {
    RestSummary {
        head: view.into(),
        structured: RestStructured {
            title: view.structured.title.clone(),
            overview: view.structured.overview.clone(),
            category: view.structured.category.clone(),
        },
        language: view.language.clone(),
    }
}

/// The REST detail shape: the list shape and the transcript.
pub fn rest_detail(view: &ConversationView) -> RestDetail {
    RestDetail {
        summary: rest_summary(view),
        transcript_segments: segments(view),
    }
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
