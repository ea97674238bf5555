//! Conversation imports: the bodies of `POST /v1/conversations/from-segments` and `/from-text`, their
//! validation, and the `ImportConversation` command they become. Shared with the other import surfaces (the
//! developer API's `/v1/dev/user/conversations`, the app import API), which differ only in the default source
//! and the actor.

use chrono::{DateTime, TimeDelta, Utc};
use omi_domain::conversation::{
    speaker_id_of, speaker_label, ConversationCommand, ConversationSource, Geolocation,
    TranscriptSegment,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use std::collections::HashSet;

use crate::app::people;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use crate::time_input::InputTime;

/// The most segments one import may carry.
pub const MAX_SEGMENTS: usize = 500;
/// The longest text (in characters) a text import may carry.
pub const MAX_TEXT_CHARS: usize = 100_000;
/// How long a text import lasts when the client gives no end.
pub const DEFAULT_TEXT_DURATION: TimeDelta = TimeDelta::minutes(5);
/// The `text_source` values of a text import (spec §2.1 ExternalIntegrationConversationSource).
pub const TEXT_SOURCES: [&str; 3] = ["audio_transcript", "message", "other_text"];

/// The namespace of imported segment ids: a segment's id is the UUIDv5 of `"<conversation id>:<index>"`.
const SEGMENT_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f6d_695f_7365_676d_656e_745f_6964_7631);

/// The deterministic id of the `index`-th segment of a conversation (spec §2.1).
pub fn segment_id(conversation_id: &str, index: usize) -> String {
    Uuid::new_v5(
        &SEGMENT_ID_NAMESPACE,
        format!("{conversation_id}:{index}").as_bytes(),
    )
    .to_string()
}

/// A validated import: the new conversation's id and the command that creates it.
#[derive(Debug, Clone)]
pub struct Import {
    pub id: String,
    pub command: ConversationCommand,
}

/// Checks that the people the import's segments name (`person_id`) are the user's own (spec §2.6): 422 naming
/// each segment that names anyone else, as the other checks of a segment do. Nothing is read for an import that
/// names nobody.
pub async fn check_people(state: &AppState, uid: &str, import: &Import) -> ApiResult<()> {
    let ConversationCommand::ImportConversation { segments, .. } = &import.command else {
        return Ok(());
    };
    if segments.iter().all(|segment| segment.person_id.is_none()) {
        return Ok(());
    }
    let known: HashSet<String> = people::list(state, uid)
        .await?
        .into_iter()
        .map(|person| person.id)
        .collect();
    let problems: Vec<Problem> = segments
        .iter()
        .enumerate()
        .filter_map(|(index, segment)| {
            let person = segment.person_id.as_deref()?;
            (!known.contains(person)).then(|| {
                Problem::new(
                    &format!("body.transcript_segments.{index}.person_id"),
                    format!("Segment {index}: person_id is not one of your people"),
                )
            })
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(problems))
    }
}

/// One transcript segment as import clients send it.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SegmentInput {
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

/// The body of a segment import.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SegmentsImportInput {
    pub transcript_segments: Vec<SegmentInput>,
    /// Unknown names read as `unknown`.
    #[serde(default)]
    pub source: Option<ConversationSource>,
    #[serde(default)]
    pub started_at: Option<InputTime>,
    #[serde(default)]
    pub finished_at: Option<InputTime>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub geolocation: Option<Geolocation>,
}

/// The body of a text import.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct TextImportInput {
    pub text: String,
    #[serde(default)]
    pub text_source: Option<String>,
    #[serde(default)]
    pub text_source_spec: Option<String>,
    #[serde(default)]
    pub started_at: Option<InputTime>,
    #[serde(default)]
    pub finished_at: Option<InputTime>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub geolocation: Option<Geolocation>,
    /// Unknown names read as `unknown`.
    #[serde(default)]
    pub source: Option<ConversationSource>,
}

fn language(language: Option<String>) -> String {
    language
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "en".to_string())
}

/// Checks a geolocation's coordinates.
pub fn check_geolocation(geolocation: &Option<Geolocation>, problems: &mut Vec<Problem>) {
    if let Some(geolocation) = geolocation {
        if !(-90.0..=90.0).contains(&geolocation.latitude) {
            problems.push(Problem::new(
                "body.geolocation.latitude",
                "latitude must be between -90 and 90",
            ));
        }
        if !(-180.0..=180.0).contains(&geolocation.longitude) {
            problems.push(Problem::new(
                "body.geolocation.longitude",
                "longitude must be between -180 and 180",
            ));
        }
    }
}

/// `at` plus `seconds`, or `None` when that is not a representable time.
fn plus_seconds(at: DateTime<Utc>, seconds: f64) -> Option<DateTime<Utc>> {
    if !seconds.is_finite() {
        return None;
    }
    let delta = TimeDelta::try_milliseconds((seconds * 1000.0).round() as i64)?;
    at.checked_add_signed(delta)
}

fn check_span(started_at: DateTime<Utc>, finished_at: DateTime<Utc>, problems: &mut Vec<Problem>) {
    if finished_at < started_at {
        problems.push(Problem::new(
            "body.finished_at",
            "finished_at must not be before started_at",
        ));
    }
}

/// Checks one segment; problems are reported as `Segment i: …` at `body.transcript_segments.i`.
fn segment(
    conversation_id: &str,
    index: usize,
    input: SegmentInput,
    problems: &mut Vec<Problem>,
) -> Option<TranscriptSegment> {
    let loc = format!("body.transcript_segments.{index}");
    let before = problems.len();
    let text = input.text.trim().to_string();
    if text.is_empty() {
        problems.push(Problem::new(
            &format!("{loc}.text"),
            format!("Segment {index}: text must not be empty"),
        ));
    }
    if input.start < 0.0 {
        problems.push(Problem::new(
            &format!("{loc}.start"),
            format!("Segment {index}: start must be >= 0"),
        ));
    }
    if input.end <= input.start {
        problems.push(Problem::new(
            &format!("{loc}.end"),
            format!("Segment {index}: end must be greater than start"),
        ));
    }
    if problems.len() > before {
        return None;
    }
    let speaker = input
        .speaker
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| speaker_label(input.speaker_id.unwrap_or(0)));
    let speaker_id = input.speaker_id.unwrap_or_else(|| speaker_id_of(&speaker));
    // `is_user` and `person_id` are mutually exclusive (spec §2.4): the user wins.
    let person_id = input
        .person_id
        .filter(|p| !input.is_user && !p.is_empty() && p != "null");
    Some(TranscriptSegment {
        id: segment_id(conversation_id, index),
        text,
        speaker,
        speaker_id,
        is_user: input.is_user,
        person_id,
        start: input.start,
        end: input.end,
        translations: Vec::new(),
        speech_profile_processed: false,
        stt_provider: None,
    })
}

impl SegmentsImportInput {
    /// Validates the body and builds the import for `uid`: segments get ids derived from the new
    /// conversation's id and their index; `started_at` defaults to `now`, `finished_at` to `started_at` plus
    /// the end of the last segment; `source` to `default_source`, `language` to `en`. 422 with every problem.
    pub fn into_import(
        self,
        uid: &str,
        default_source: ConversationSource,
        now: DateTime<Utc>,
    ) -> Result<Import, ApiError> {
        let id = Uuid::new_v4().to_string();
        let mut problems = Vec::new();
        let count = self.transcript_segments.len();
        if !(1..=MAX_SEGMENTS).contains(&count) {
            problems.push(Problem::new(
                "body.transcript_segments",
                format!("transcript_segments must hold between 1 and {MAX_SEGMENTS} segments"),
            ));
        }
        let segments: Vec<TranscriptSegment> = self
            .transcript_segments
            .into_iter()
            .enumerate()
            .filter_map(|(index, input)| segment(&id, index, input, &mut problems))
            .collect();
        check_geolocation(&self.geolocation, &mut problems);
        let started_at = self.started_at.map(|t| t.0).unwrap_or(now);
        let last_end = segments.iter().map(|s| s.end).fold(0.0, f64::max);
        let finished_at = match self.finished_at {
            Some(at) => Some(at.0),
            None => plus_seconds(started_at, last_end),
        };
        match finished_at {
            Some(finished_at) => check_span(started_at, finished_at, &mut problems),
            None => problems.push(Problem::new(
                "body.transcript_segments",
                "segment times are out of range",
            )),
        }
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        let command = ConversationCommand::ImportConversation {
            uid: uid.to_string(),
            source: self.source.unwrap_or(default_source),
            language: language(self.language),
            started_at,
            finished_at: finished_at.unwrap_or(started_at),
            segments,
            geolocation: self.geolocation,
            external_data: None,
            at: now,
        };
        Ok(Import { id, command })
    }
}

impl TextImportInput {
    /// Validates the body and builds the import for `uid`: no segments, the payload (with its defaults filled
    /// in) kept as `external_data`; `started_at` defaults to `now`, `finished_at` to five minutes later;
    /// `text_source` to `other_text`, `source` to `default_source`, `language` to `en`. 422 with every problem.
    pub fn into_import(
        self,
        uid: &str,
        default_source: ConversationSource,
        now: DateTime<Utc>,
    ) -> Result<Import, ApiError> {
        let mut problems = Vec::new();
        let chars = self.text.chars().count();
        if self.text.trim().is_empty() || chars > MAX_TEXT_CHARS {
            problems.push(Problem::new(
                "body.text",
                format!("text must hold between 1 and {MAX_TEXT_CHARS} characters"),
            ));
        }
        let text_source = self
            .text_source
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "other_text".to_string());
        if !TEXT_SOURCES.contains(&text_source.as_str()) {
            problems.push(Problem::new(
                "body.text_source",
                format!("text_source must be one of {}", TEXT_SOURCES.join(", ")),
            ));
        }
        check_geolocation(&self.geolocation, &mut problems);
        let started_at = self.started_at.map(|t| t.0).unwrap_or(now);
        let finished_at = match self.finished_at {
            Some(at) => at.0,
            None => started_at
                .checked_add_signed(DEFAULT_TEXT_DURATION)
                .unwrap_or(started_at),
        };
        check_span(started_at, finished_at, &mut problems);
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        let language = language(self.language);
        let source = self.source.unwrap_or(default_source);
        let mut external_data = json!({
            "text": self.text,
            "text_source": text_source,
            "text_source_spec": self.text_source_spec,
            "started_at": omi_projections::time::format(&started_at),
            "finished_at": omi_projections::time::format(&finished_at),
            "language": language,
            "source": source,
        });
        if let (Some(geolocation), Value::Object(data)) = (&self.geolocation, &mut external_data) {
            data.insert("geolocation".into(), json!(geolocation));
        }
        let command = ConversationCommand::ImportConversation {
            uid: uid.to_string(),
            source,
            language,
            started_at,
            finished_at,
            segments: Vec::new(),
            geolocation: self.geolocation,
            external_data: Some(external_data),
            at: now,
        };
        Ok(Import {
            id: Uuid::new_v4().to_string(),
            command,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000, 0).unwrap()
    }

    fn segments(body: Value) -> Result<Import, ApiError> {
        serde_json::from_value::<SegmentsImportInput>(body)
            .unwrap()
            .into_import("u1", ConversationSource::ExternalIntegration, now())
    }

    fn problems(result: Result<Import, ApiError>) -> Vec<String> {
        match result {
            Err(ApiError::Validation(problems)) => problems.into_iter().map(|p| p.msg).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_segment_import_fills_in_ids_speakers_and_times() {
        let import = segments(json!({
            "transcript_segments": [
                {"text": " Hello ", "start": 0.0, "end": 1.5},
                {"text": "Hi", "speaker": "SPEAKER_02", "start": 2.0, "end": 12.25, "person_id": "p1"},
                {"text": "Me", "speaker_id": 3, "is_user": true, "person_id": "p2", "start": 13.0, "end": 14.0},
            ],
            "source": "phone",
        }))
        .unwrap();
        let ConversationCommand::ImportConversation {
            source,
            language,
            started_at,
            finished_at,
            segments,
            external_data,
            ..
        } = import.command
        else {
            panic!("not an import");
        };
        assert_eq!(source, ConversationSource::Phone);
        assert_eq!(language, "en");
        assert_eq!(started_at, now());
        assert_eq!(finished_at, now() + TimeDelta::seconds(14));
        assert_eq!(external_data, None);
        assert_eq!(segments[0].id, segment_id(&import.id, 0));
        assert_ne!(segments[0].id, segments[1].id);
        assert_eq!(segments[0].text, "Hello");
        assert_eq!(segments[0].speaker, "SPEAKER_00");
        assert_eq!(segments[1].speaker_id, 2);
        assert_eq!(segments[1].person_id.as_deref(), Some("p1"));
        assert_eq!(segments[2].speaker, "SPEAKER_03");
        assert_eq!(segments[2].person_id, None, "the user is nobody else");
    }

    #[test]
    fn every_bad_segment_is_reported_by_its_index() {
        let messages = problems(segments(json!({
            "transcript_segments": [
                {"text": "fine", "start": 0.0, "end": 1.0},
                {"text": "  ", "start": 1.0, "end": 2.0},
                {"text": "backwards", "start": 3.0, "end": 2.0},
                {"text": "negative", "start": -1.0, "end": 2.0},
            ],
        })));
        assert_eq!(
            messages,
            vec![
                "Segment 1: text must not be empty",
                "Segment 2: end must be greater than start",
                "Segment 3: start must be >= 0",
            ]
        );
    }

    #[test]
    fn segment_counts_and_spans_are_checked() {
        let messages = problems(segments(json!({"transcript_segments": []})));
        assert_eq!(
            messages,
            vec!["transcript_segments must hold between 1 and 500 segments"]
        );
        let messages = problems(segments(json!({
            "transcript_segments": [{"text": "a", "start": 0.0, "end": 1.0}],
            "started_at": "2026-01-02T10:00:00Z",
            "finished_at": "2026-01-02T09:00:00Z",
        })));
        assert_eq!(messages, vec!["finished_at must not be before started_at"]);
        let messages = problems(segments(json!({
            "transcript_segments": [{"text": "a", "start": 0.0, "end": 1e300}],
        })));
        assert_eq!(messages, vec!["segment times are out of range"]);
    }

    #[test]
    fn a_text_import_keeps_its_payload_and_lasts_five_minutes() {
        let import = serde_json::from_value::<TextImportInput>(json!({
            "text": "Met Ann about the budget.",
            "text_source_spec": "email",
        }))
        .unwrap()
        .into_import("u1", ConversationSource::ExternalIntegration, now())
        .unwrap();
        let ConversationCommand::ImportConversation {
            finished_at,
            segments,
            external_data: Some(data),
            source,
            ..
        } = import.command
        else {
            panic!("not a text import");
        };
        assert!(segments.is_empty());
        assert_eq!(finished_at, now() + TimeDelta::minutes(5));
        assert_eq!(source, ConversationSource::ExternalIntegration);
        assert_eq!(data["text"], "Met Ann about the budget.");
        assert_eq!(data["text_source"], "other_text");
        assert_eq!(data["text_source_spec"], "email");
        assert_eq!(data["started_at"], "2023-11-14T22:13:20+00:00");
    }

    #[test]
    fn a_bad_text_import_reports_every_problem() {
        let result = serde_json::from_value::<TextImportInput>(json!({
            "text": " ",
            "text_source": "fax",
            "started_at": "2026-01-02T10:00:00Z",
            "finished_at": "2026-01-02T09:00:00Z",
            "geolocation": {"latitude": 91.0, "longitude": 0.0},
        }))
        .unwrap()
        .into_import("u1", ConversationSource::ExternalIntegration, now());
        assert_eq!(problems(result).len(), 4);
    }
}
