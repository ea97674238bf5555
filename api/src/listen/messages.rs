//! The JSON messages of `/v4/listen` (spec §4.3, §4.4).

use omi_domain::conversation::{speaker_id_of, speaker_label};
use serde::Deserialize;
use serde_json::{json, Value};

/// `service_status` with one of the start-up stages.
pub fn service_status(status: &str, text: Option<&str>) -> Value {
    match text {
        Some(text) => json!({"type": "service_status", "status": status, "status_text": text}),
        None => json!({"type": "service_status", "status": status}),
    }
}

/// The user's last completed conversation.
pub fn last_memory(conversation_id: &str) -> Value {
    json!({"type": "last_memory", "memory_id": conversation_id})
}

/// The conversation this session writes into.
pub fn conversation_session(conversation_id: &str) -> Value {
    json!({"type": "conversation_session", "conversation_id": conversation_id, "status": "in_progress"})
}

/// A conversation was handed to processing.
pub fn processing_started(conversation: Value) -> Value {
    json!({"type": "memory_processing_started", "memory": conversation})
}

/// A conversation finished processing.
pub fn memory_created(conversation: Value) -> Value {
    json!({"type": "memory_created", "memory": conversation, "messages": []})
}

/// A segment as a client suggests it (custom STT).
#[derive(Debug, Deserialize)]
pub struct SuggestedSegment {
    pub text: String,
    #[serde(default)]
    pub speaker: Option<String>,
    #[serde(default)]
    pub speaker_id: Option<u32>,
    #[serde(default)]
    pub is_user: bool,
    #[serde(default)]
    pub person_id: Option<String>,
    pub start: f64,
    pub end: f64,
}

impl SuggestedSegment {
    /// The speaker index: `speaker_id`, else the suffix of `speaker`.
    pub fn speaker_index(&self) -> u32 {
        self.speaker_id
            .or_else(|| self.speaker.as_deref().map(speaker_id_of))
            .unwrap_or(0)
    }

    /// The speaker label: `speaker`, else derived from `speaker_id`.
    pub fn speaker_name(&self) -> String {
        self.speaker
            .clone()
            .unwrap_or_else(|| speaker_label(self.speaker_index()))
    }
}

/// What a client may send as text.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    SuggestedTranscript {
        segments: Vec<SuggestedSegment>,
        #[serde(default)]
        stt_provider: Option<String>,
    },
    SpeakerAssigned {
        speaker_id: u32,
        #[serde(default)]
        person_id: Option<String>,
        #[serde(default)]
        segment_ids: Vec<String>,
    },
    ImageChunk {},
    SkipQuestion {},
}
