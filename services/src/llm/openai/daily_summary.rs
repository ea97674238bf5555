//! The daily summary written by the model: the day's conversations go in (id, title, overview, category,
//! length and an excerpt of the transcript), the written parts come back as JSON and are checked like every
//! writing ([`DayWriting::checked`]). The counts, action items and places are not asked for: they come from
//! the user's data.

use std::sync::atomic::Ordering;

use omi_domain::daily_summary::{Decision, Highlight, KnowledgeNugget, UnresolvedQuestion};
use serde_json::{json, Map, Value};

use super::wire::{self, Answer, Format};
use super::OpenAiCompatible;
use crate::llm::{DayInput, DayWriting, LlmError, MAX_HIGHLIGHTS, MAX_ITEMS};

/// The transcript of one conversation is cut to this many characters (its beginning is kept).
const MAX_TRANSCRIPT_CHARS: usize = 6_000;

const SYSTEM: &str = r#"You write the end-of-day summary of a personal memory assistant from the user's conversations of one day, and you answer with a single JSON object and nothing else.

- "headline": the day in at most 10 words.
- "overview": two or three sentences on what the day was about.
- "day_emoji": one emoji for the day.
- "highlights": the main topics of the day (at most 5), each with a short "topic", an "emoji", a one-sentence "summary" and the "conversation_ids" it came up in.
- "unresolved_questions": questions raised and left open (at most 5), each with the "question" and its "conversation_id".
- "decisions_made": what the user or the people they spoke with settled (at most 5), each with the "decision" and its "conversation_id".
- "knowledge_nuggets": things learned worth keeping (at most 5), each with the "insight" and its "conversation_id".

Use only the conversation ids given in the message. Write in the language of the conversations. Leave a list empty rather than invent entries."#;

fn schema() -> Value {
    let object = |props: Value| {
        let required: Vec<String> = props
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        json!({ "type": "object", "additionalProperties": false, "required": required, "properties": props })
    };
    let text = json!({ "type": "string" });
    let list = |props: Value| json!({ "type": "array", "items": object(props) });
    object(json!({
        "headline": text,
        "overview": text,
        "day_emoji": text,
        "highlights": list(json!({
            "topic": text, "emoji": text, "summary": text,
            "conversation_ids": { "type": "array", "items": text },
        })),
        "unresolved_questions": list(json!({ "question": text, "conversation_id": text })),
        "decisions_made": list(json!({ "decision": text, "conversation_id": text })),
        "knowledge_nuggets": list(json!({ "insight": text, "conversation_id": text })),
    }))
}

/// The day as the model reads it.
fn user_message(day: &DayInput) -> String {
    let mut message = format!(
        "Date: {}\nConversations: {}\nMinutes spoken: {}\n",
        day.date,
        day.conversations.len(),
        day.minutes_spoken
    );
    for conversation in &day.conversations {
        message.push_str(&format!(
            "\n## Conversation {}\nTitle: {}\nCategory: {}\nLength: {} minutes\nOverview: {}\nTranscript:\n",
            conversation.id,
            conversation.title,
            conversation.category,
            conversation.minutes,
            conversation.overview
        ));
        let mut transcript = String::new();
        for line in &conversation.lines {
            transcript.push_str(&format!("{}: {}\n", line.speaker, line.text));
        }
        message.extend(transcript.chars().take(MAX_TRANSCRIPT_CHARS));
    }
    message
}

impl OpenAiCompatible {
    /// Asks the model for the written parts of `day`'s summary.
    pub(super) async fn daily_summary(&self, day: &DayInput) -> Result<DayWriting, LlmError> {
        let user = user_message(day);
        let body = |format| {
            let answer = Answer {
                name: "daily_summary",
                schema: schema(),
            };
            wire::request_body_for(&self.model, SYSTEM, &user, format, self.temperature, answer)
        };
        let content = if self.json_schema_rejected.load(Ordering::Relaxed) {
            self.send(&body(Format::JsonObject)).await?
        } else {
            match self.send(&body(Format::JsonSchema)).await {
                Err(LlmError::Status {
                    status: 400 | 422, ..
                }) => {
                    self.json_schema_rejected.store(true, Ordering::Relaxed);
                    self.send(&body(Format::JsonObject)).await?
                }
                other => other?,
            }
        };
        Ok(parse(&content)?.checked(day))
    }
}

/// The writing in the model's answer. Missing keys read as empty; entries without their text are skipped.
fn parse(content: &str) -> Result<DayWriting, LlmError> {
    let object = wire::json_object(content).ok_or_else(|| {
        LlmError::BadResponse(format!(
            "the answer holds no JSON object: {}",
            wire::excerpt(content)
        ))
    })?;
    let text = |map: &Map<String, Value>, key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let items = |key: &str, limit: usize| -> Vec<Map<String, Value>> {
        object
            .get(key)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_object().cloned())
                    .take(limit)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(DayWriting {
        headline: text(&object, "headline"),
        overview: text(&object, "overview"),
        day_emoji: text(&object, "day_emoji"),
        highlights: items("highlights", MAX_HIGHLIGHTS)
            .iter()
            .map(|h| Highlight {
                topic: text(h, "topic"),
                emoji: text(h, "emoji"),
                summary: text(h, "summary"),
                conversation_ids: h
                    .get("conversation_ids")
                    .and_then(Value::as_array)
                    .map(|ids| {
                        ids.iter()
                            .filter_map(Value::as_str)
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect(),
        unresolved_questions: items("unresolved_questions", MAX_ITEMS)
            .iter()
            .map(|q| UnresolvedQuestion {
                question: text(q, "question"),
                conversation_id: text(q, "conversation_id"),
            })
            .collect(),
        decisions_made: items("decisions_made", MAX_ITEMS)
            .iter()
            .map(|d| Decision {
                decision: text(d, "decision"),
                conversation_id: text(d, "conversation_id"),
            })
            .collect(),
        knowledge_nuggets: items("knowledge_nuggets", MAX_ITEMS)
            .iter()
            .map(|k| KnowledgeNugget {
                insight: text(k, "insight"),
                conversation_id: text(k, "conversation_id"),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_in_a_code_fence_with_missing_keys_reads_as_empty_lists() {
        let writing = parse(
            "```json\n{\"headline\": \"Budget day\", \"decisions_made\": [{\"decision\": \"Cut ads\", \"conversation_id\": \"c1\"}, 3]}\n```",
        )
        .unwrap();
        assert_eq!(writing.headline, "Budget day");
        assert_eq!(writing.decisions_made.len(), 1);
        assert!(writing.highlights.is_empty());
        assert!(parse("no json here").is_err());
    }

    #[test]
    fn the_schema_requires_every_key() {
        let schema = schema();
        assert_eq!(schema["required"].as_array().unwrap().len(), 7);
        assert_eq!(
            schema["properties"]["highlights"]["items"]["required"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
    }
}
