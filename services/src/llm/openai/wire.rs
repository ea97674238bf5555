//! The chat-completions wire format: the request body, the JSON schema of the answer, and
//! lenient parsing of the answer into an [`Analysis`].

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use serde_json::{json, Map, Value};

use crate::llm::{
    Analysis, ConversationInput, ExtractedActionItem, ExtractedEvent, ExtractedMemory, LlmError,
    CATEGORIES,
};

/// How the answer is constrained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `response_format: {type: json_schema, strict: true}` (OpenAI, vLLM, recent Ollama and
    /// llama.cpp server).
    JsonSchema,
    /// `response_format: {type: json_object}`, for servers that reject json_schema.
    JsonObject,
}

pub(crate) fn request_body(
    model: &str,
    system: &str,
    user: &str,
    format: Format,
    temperature: Option<f32>,
) -> Value {
    let answer = Answer {
        name: "conversation_analysis",
        schema: schema(),
    };
    request_body_for(model, system, user, format, temperature, answer)
}

/// The answer a request asks for: the name and JSON schema of its `json_schema` response format.
pub(crate) struct Answer {
    pub name: &'static str,
    pub schema: Value,
}

/// The request body asking for `answer`.
pub(crate) fn request_body_for(
    model: &str,
    system: &str,
    user: &str,
    format: Format,
    temperature: Option<f32>,
    answer: Answer,
) -> Value {
    let response_format = match format {
        Format::JsonSchema => json!({
            "type": "json_schema",
            "json_schema": { "name": answer.name, "strict": true, "schema": answer.schema }
        }),
        Format::JsonObject => json!({ "type": "json_object" }),
    };
    let mut body = json!({
        "model": model,
        "messages": [
            { "role": "system", "content": system },
            { "role": "user", "content": user },
        ],
        "response_format": response_format,
        "stream": false,
    });
    if let (Some(t), Some(obj)) = (temperature, body.as_object_mut()) {
        obj.insert("temperature".into(), json!(t));
    }
    body
}

/// The JSON schema of the answer (strict mode: every property required, no extra ones).
pub(crate) fn schema() -> Value {
    let object = |props: Value| {
        let required: Vec<String> = props
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        json!({ "type": "object", "additionalProperties": false, "required": required, "properties": props })
    };
    object(json!({
        "discarded": { "type": "boolean" },
        "title": { "type": "string" },
        "overview": { "type": "string" },
        "emoji": { "type": "string" },
        "category": { "type": "string", "enum": CATEGORIES.to_vec() },
        "action_items": { "type": "array", "items": object(json!({
            "description": { "type": "string" },
            "due_at": { "type": ["string", "null"], "description": "ISO 8601 UTC, e.g. 2026-11-26T15:00:00Z" },
        })) },
        "events": { "type": "array", "items": object(json!({
            "title": { "type": "string" },
            "description": { "type": "string" },
            "start": { "type": "string", "description": "ISO 8601 UTC, e.g. 2026-11-26T15:00:00Z" },
            "duration": { "type": "integer", "description": "minutes" },
        })) },
        "memories": { "type": "array", "items": object(json!({
            "content": { "type": "string" },
            "category": { "type": "string", "enum": ["system", "interesting"] },
        })) },
    }))
}

/// The assistant message's content from a chat-completions response body.
pub(crate) fn completion_content(body: &str) -> Result<String, LlmError> {
    let value: Value = serde_json::from_str(body).map_err(|e| {
        LlmError::BadResponse(format!("response is not JSON ({e}): {}", excerpt(body)))
    })?;
    let choice = value
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .ok_or_else(|| {
            LlmError::BadResponse(format!("response has no choices: {}", excerpt(body)))
        })?;
    let message = choice.get("message");
    let content = message
        .and_then(|m| m.get("content"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if content.trim().is_empty() {
        if let Some(refusal) = message
            .and_then(|m| m.get("refusal"))
            .and_then(Value::as_str)
        {
            return Err(LlmError::BadResponse(format!(
                "the model refused: {refusal}"
            )));
        }
        let reason = choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        return Err(LlmError::BadResponse(format!(
            "empty answer (finish_reason {reason})"
        )));
    }
    if choice.get("finish_reason").and_then(Value::as_str) == Some("length")
        && json_object(content).is_none()
    {
        return Err(LlmError::BadResponse(
            "answer truncated (finish_reason length)".into(),
        ));
    }
    Ok(content.to_string())
}

/// The first JSON object in the text: tolerates code fences, leading prose and a
/// `<think>…</think>` preamble.
pub(crate) fn json_object(content: &str) -> Option<Map<String, Value>> {
    let content = content
        .rsplit_once("</think>")
        .map_or(content, |(_, after)| after);
    let start = content.find('{')?;
    // the first complete value; whatever follows it (a closing fence, prose) is ignored
    let mut values = serde_json::Deserializer::from_str(&content[start..]).into_iter::<Value>();
    match values.next()?.ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// The analysis in the content (not yet normalized). Tolerates missing keys, nulls, numbers as
/// strings and items given as plain strings; an item without its required field is skipped.
pub(crate) fn parse_analysis(
    content: &str,
    input: &ConversationInput,
) -> Result<Analysis, LlmError> {
    let map = json_object(content).ok_or_else(|| {
        LlmError::BadResponse(format!("answer is not a JSON object: {}", excerpt(content)))
    })?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").trim().to_string();
    let list = |key: &str| {
        map.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let action_items = list("action_items")
        .iter()
        .filter_map(|item| match item {
            Value::String(s) => Some(ExtractedActionItem {
                description: s.trim().to_string(),
                due_at: None,
            }),
            Value::Object(o) => Some(ExtractedActionItem {
                description: text(o.get("description")),
                due_at: o
                    .get("due_at")
                    .and_then(Value::as_str)
                    .and_then(|s| parse_time(s, input)),
            }),
            _ => None,
        })
        .collect();
    let events = list("events")
        .iter()
        .filter_map(|e| {
            let o = e.as_object()?;
            let start = o
                .get("start")
                .and_then(Value::as_str)
                .and_then(|s| parse_time(s, input))?;
            let duration = o.get("duration").or_else(|| o.get("duration_minutes"));
            let minutes = duration.and_then(|d| {
                d.as_f64()
                    .or_else(|| d.as_str().and_then(|s| s.trim().parse().ok()))
            });
            Some(ExtractedEvent {
                title: text(o.get("title")),
                description: text(o.get("description")),
                start,
                duration_minutes: minutes
                    .filter(|m| m.is_finite() && *m > 0.0)
                    .map_or(0, |m| m.min(10_000.0).round() as u32),
            })
        })
        .collect();
    let memories = list("memories")
        .iter()
        .filter_map(|m| match m {
            Value::String(s) => Some(ExtractedMemory {
                content: s.trim().to_string(),
                category: "system".into(),
            }),
            Value::Object(o) => Some(ExtractedMemory {
                content: text(o.get("content")),
                category: text(o.get("category")),
            }),
            _ => None,
        })
        .collect();
    let discarded = match map.get("discarded") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    Ok(Analysis {
        discarded,
        title: text(map.get("title")),
        overview: text(map.get("overview")),
        emoji: text(map.get("emoji")),
        category: text(map.get("category")),
        action_items,
        events,
        memories,
    })
}

/// RFC 3339, or a date-time without zone (taken as UTC, as asked), or a bare date (23:59 in the
/// user's time zone).
fn parse_time(s: &str, input: &ConversationInput) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), format) {
            return Some(t.and_utc());
        }
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let local = day.and_hms_opt(23, 59, 0)?;
    Some((local - TimeDelta::minutes(i64::from(input.utc_offset_minutes))).and_utc())
}

/// The first 300 characters, for error messages.
pub(crate) fn excerpt(text: &str) -> String {
    let t: String = text.chars().take(300).collect();
    if t.len() < text.len() {
        format!("{t}…")
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn input() -> ConversationInput {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let mut i = ConversationInput::from_lines(vec![], at);
        i.utc_offset_minutes = 60;
        i
    }

    #[test]
    fn schema_is_strict() {
        let s = schema();
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["required"].as_array().unwrap().len(), 8);
        assert_eq!(
            s["properties"]["category"]["enum"]
                .as_array()
                .unwrap()
                .len(),
            33
        );
        assert_eq!(
            s["properties"]["events"]["items"]["required"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
        assert_eq!(
            s["properties"]["action_items"]["items"]["additionalProperties"],
            false
        );
    }

    #[test]
    fn request_body_shapes() {
        let b = request_body("m", "sys", "usr", Format::JsonObject, Some(0.0));
        assert_eq!(b["model"], "m");
        assert_eq!(b["messages"][0]["role"], "system");
        assert_eq!(b["messages"][1]["content"], "usr");
        assert_eq!(b["response_format"]["type"], "json_object");
        assert_eq!(b["temperature"], 0.0);
        let b = request_body("m", "sys", "usr", Format::JsonSchema, None);
        assert_eq!(b["response_format"]["json_schema"]["strict"], true);
        assert!(b.get("temperature").is_none());
    }

    #[test]
    fn content_is_taken_from_the_first_choice() {
        let body = r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"{\"title\":\"x\"}"},"finish_reason":"stop"}]}"#;
        assert_eq!(completion_content(body).unwrap(), r#"{"title":"x"}"#);
        assert!(matches!(
            completion_content("<html>"),
            Err(LlmError::BadResponse(_))
        ));
        assert!(matches!(
            completion_content(r#"{"choices":[]}"#),
            Err(LlmError::BadResponse(_))
        ));
        let refused =
            r#"{"choices":[{"message":{"content":null,"refusal":"no"},"finish_reason":"stop"}]}"#;
        assert!(completion_content(refused)
            .unwrap_err()
            .to_string()
            .contains("refused"));
        let cut =
            r#"{"choices":[{"message":{"content":"{\"title\": \"Lo"},"finish_reason":"length"}]}"#;
        assert!(completion_content(cut)
            .unwrap_err()
            .to_string()
            .contains("truncated"));
    }

    #[test]
    fn parses_fenced_and_lenient_answers() {
        let content = "<think>hmm</think>Here you go:\n```json\n{\"discarded\": \"false\", \"title\": \" Launch \", \
            \"category\": \"work\", \"emoji\": null, \
            \"action_items\": [\"Call Tom\", {\"description\": \"Send deck\", \"due_at\": \"2026-11-27T23:59:00Z\"}, {\"due_at\": \"nonsense\"}], \
            \"events\": [{\"title\": \"Sync\", \"start\": \"2026-11-26 15:00\", \"duration\": \"45\"}, {\"title\": \"No start\"}], \
            \"memories\": [\"User likes tea\", {\"content\": \"Sarah advises rest\", \"category\": \"interesting\"}]}\n```";
        let a = parse_analysis(content, &input()).unwrap();
        assert!(!a.discarded);
        assert_eq!(a.title, "Launch");
        assert_eq!(a.emoji, "");
        assert_eq!(a.action_items.len(), 3);
        assert_eq!(a.action_items[0].description, "Call Tom");
        assert_eq!(
            a.action_items[1].due_at,
            Some(Utc.with_ymd_and_hms(2026, 11, 27, 23, 59, 0).unwrap())
        );
        assert_eq!(a.action_items[2].due_at, None);
        assert_eq!(a.events.len(), 1);
        assert_eq!(
            a.events[0].start,
            Utc.with_ymd_and_hms(2026, 11, 26, 15, 0, 0).unwrap()
        );
        assert_eq!(a.events[0].duration_minutes, 45);
        assert_eq!(a.memories[1].category, "interesting");
    }

    #[test]
    fn time_formats() {
        let i = input();
        let t = |s: &str| parse_time(s, &i);
        assert_eq!(
            t("2026-11-26T15:00:00+01:00"),
            Some(Utc.with_ymd_and_hms(2026, 11, 26, 14, 0, 0).unwrap())
        );
        assert_eq!(
            t("2026-11-26T15:00:00.000Z"),
            Some(Utc.with_ymd_and_hms(2026, 11, 26, 15, 0, 0).unwrap())
        );
        assert_eq!(
            t("2026-11-26"),
            Some(Utc.with_ymd_and_hms(2026, 11, 26, 22, 59, 0).unwrap())
        );
        assert_eq!(t("tomorrow"), None);
    }

    #[test]
    fn non_objects_are_bad_responses() {
        assert!(matches!(
            parse_analysis("[1,2]", &input()),
            Err(LlmError::BadResponse(_))
        ));
        assert!(matches!(
            parse_analysis("sorry, I can't", &input()),
            Err(LlmError::BadResponse(_))
        ));
    }
}
