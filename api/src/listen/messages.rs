//! The JSON messages of `/v4/listen` (spec §4.3, §4.4).

use omi_domain::conversation::{speaker_id_of, speaker_label};
use omi_domain::storable::{is_storable, NUL_REFUSED};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
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

// The text of a client message is checked as it is read: a message holding text the event log cannot store (a
// NUL character) does not parse, so it is ignored like any other malformed message and nothing of it is kept.

fn storable<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let text = String::deserialize(deserializer)?;
    if is_storable(&text) {
        Ok(text)
    } else {
        Err(D::Error::custom(NUL_REFUSED))
    }
}

fn storable_option<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        Some(text) if !is_storable(&text) => Err(D::Error::custom(NUL_REFUSED)),
        other => Ok(other),
    }
}

fn storable_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let texts = Vec::<String>::deserialize(deserializer)?;
    if texts.iter().all(|text| is_storable(text)) {
        Ok(texts)
    } else {
        Err(D::Error::custom(NUL_REFUSED))
    }
}

/// A segment as a client suggests it (custom STT).
#[derive(Debug, Deserialize)]
pub struct SuggestedSegment {
    #[serde(deserialize_with = "storable")]
    pub text: String,
    #[serde(default, deserialize_with = "storable_option")]
    pub speaker: Option<String>,
    #[serde(default)]
    pub speaker_id: Option<u32>,
    #[serde(default)]
    pub is_user: bool,
    #[serde(default, deserialize_with = "storable_option")]
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
        #[serde(default, deserialize_with = "storable_option")]
        stt_provider: Option<String>,
    },
    SpeakerAssigned {
        speaker_id: u32,
        #[serde(default, deserialize_with = "storable_option")]
        person_id: Option<String>,
        #[serde(default, deserialize_with = "storable_list")]
        segment_ids: Vec<String>,
    },
    ImageChunk {},
    SkipQuestion {},
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_with_text_the_log_cannot_store_does_not_parse() {
        let good = r#"{"type": "suggested_transcript", "stt_provider": "on-device",
            "segments": [{"text": "hello", "speaker": "SPEAKER_00", "person_id": "p", "start": 0, "end": 1}]}"#;
        assert!(serde_json::from_str::<ClientMessage>(good).is_ok());
        for poisoned in [
            good.replace("hello", "hel\\u0000lo"),
            good.replace("SPEAKER_00", "SPEAKER\\u0000"),
            good.replace(r#""p""#, r#""\u0000""#),
            good.replace("on-device", "on\\u0000device"),
        ] {
            assert!(
                serde_json::from_str::<ClientMessage>(&poisoned).is_err(),
                "{poisoned}"
            );
        }
        let assigned = r#"{"type": "speaker_assigned", "speaker_id": 1, "person_id": "p", "segment_ids": ["s1"]}"#;
        assert!(serde_json::from_str::<ClientMessage>(assigned).is_ok());
        for poisoned in [
            assigned.replace("s1", "s\\u0000"),
            assigned.replace(r#""p""#, r#""\u0000""#),
        ] {
            assert!(
                serde_json::from_str::<ClientMessage>(&poisoned).is_err(),
                "{poisoned}"
            );
        }
    }
}
