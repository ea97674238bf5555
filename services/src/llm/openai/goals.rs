//! Goals asked of the model: a suggestion from the user's memories and conversations, advice on a goal, and a
//! progress value read from a text. Each is one request with its own strict JSON schema (`goal_suggestion`,
//! `goal_advice`, `goal_progress`); each answer is checked like the offline rules' (`crate::llm::goals`).

use std::sync::atomic::Ordering;

use omi_domain::goal::GoalType;
use serde_json::{json, Map, Value};

use super::wire::{self, Answer, Format};
use super::OpenAiCompatible;
use crate::llm::goals::checked_advice;
use crate::llm::{GoalContext, GoalInput, GoalSuggestion, LlmError, ProgressReading};

/// At most this many memories and conversations are shown to the model.
const MAX_CONTEXT_ITEMS: usize = 50;
/// A text to read progress from is cut to this many characters.
const MAX_TEXT_CHARS: usize = 8_000;

const SUGGEST: &str = r#"You suggest one personal goal for the user of a memory assistant, from what their memories and conversations show they care about, and you answer with a single JSON object and nothing else.

- "suggested_title": the goal in at most 12 words.
- "suggested_type": "boolean" (done or not), "scale" (rated from min to max) or "numeric" (a count or amount).
- "suggested_target", "suggested_min", "suggested_max": numbers; for boolean 1, 0 and 1.
- "reasoning": one or two sentences on why this goal fits the user."#;

const ADVISE: &str = r#"You give the user of a memory assistant short, concrete advice on reaching one of their goals, from the goal, its recent progress and what their memories and conversations say, and you answer with a single JSON object and nothing else.

- "advice": two or three sentences of actionable advice, addressed to the user."#;

const EXTRACT: &str = r#"You read a text from the user of a memory assistant and decide whether it reports progress on their goal, and you answer with a single JSON object and nothing else.

- "found": true only if the text states a new value for the goal's metric (for a boolean goal, 1 when it says the goal is done).
- "value": that value as a number (0 when not found).
- "reasoning": one sentence quoting what in the text gives the value."#;

fn object(props: Value) -> Value {
    let required: Vec<String> = props
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    json!({ "type": "object", "additionalProperties": false, "required": required, "properties": props })
}

fn suggestion_schema() -> Value {
    object(json!({
        "suggested_title": { "type": "string" },
        "suggested_type": { "type": "string", "enum": ["boolean", "scale", "numeric"] },
        "suggested_target": { "type": "number" },
        "suggested_min": { "type": "number" },
        "suggested_max": { "type": "number" },
        "reasoning": { "type": "string" },
    }))
}

fn advice_schema() -> Value {
    object(json!({ "advice": { "type": "string" } }))
}

fn progress_schema() -> Value {
    object(json!({
        "found": { "type": "boolean" },
        "value": { "type": "number" },
        "reasoning": { "type": "string" },
    }))
}

fn context_message(context: &GoalContext) -> String {
    let mut message = String::from("Memories:\n");
    for memory in context.memories.iter().take(MAX_CONTEXT_ITEMS) {
        message.push_str(&format!("- {memory}\n"));
    }
    message.push_str("\nConversations:\n");
    for conversation in context.conversations.iter().take(MAX_CONTEXT_ITEMS) {
        message.push_str(&format!("- {conversation}\n"));
    }
    message
}

fn goal_message(goal: &GoalInput) -> String {
    format!(
        "Goal: {}\nType: {}\nTarget: {}\nCurrent: {}\nScale: {} to {}\nUnit: {}\nRecent progress (oldest first): {:?}\n",
        goal.title,
        goal.goal_type.as_str(),
        goal.target_value,
        goal.current_value,
        goal.min_value,
        goal.max_value,
        goal.unit.as_deref().unwrap_or("none"),
        goal.recent_progress,
    )
}

fn number(object: &Map<String, Value>, key: &str) -> Option<f64> {
    object.get(key).and_then(Value::as_f64)
}

pub(super) fn text(object: &Map<String, Value>, key: &str) -> String {
    object
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn unusable(what: &str, content: &str) -> LlmError {
    LlmError::BadResponse(format!("{what}: {}", wire::excerpt(content)))
}

impl OpenAiCompatible {
    /// One request for the answer `name` with `schema`, falling back to a plain JSON object for servers that
    /// refuse `json_schema`; the answer's JSON object.
    pub(super) async fn ask(
        &self,
        name: &'static str,
        system: &str,
        user: &str,
        schema: fn() -> Value,
    ) -> Result<(Map<String, Value>, String), LlmError> {
        let body = |format| {
            let answer = Answer {
                name,
                schema: schema(),
            };
            wire::request_body_for(&self.model, system, user, format, self.temperature, answer)
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
        let object = wire::json_object(&content)
            .ok_or_else(|| unusable("the answer holds no JSON object", &content))?;
        Ok((object, content))
    }

    /// Asks the model for a goal suggestion.
    pub(super) async fn goal_suggestion(
        &self,
        context: &GoalContext,
    ) -> Result<GoalSuggestion, LlmError> {
        let (answer, content) = self
            .ask(
                "goal_suggestion",
                SUGGEST,
                &context_message(context),
                suggestion_schema,
            )
            .await?;
        let suggestion = GoalSuggestion {
            title: text(&answer, "suggested_title"),
            goal_type: GoalType::parse(&text(&answer, "suggested_type")).unwrap_or_default(),
            target: number(&answer, "suggested_target").unwrap_or(f64::NAN),
            min: number(&answer, "suggested_min").unwrap_or(0.0),
            max: number(&answer, "suggested_max").unwrap_or(10.0),
            reasoning: text(&answer, "reasoning"),
        };
        suggestion
            .checked()
            .ok_or_else(|| unusable("the suggestion has no title or no finite target", &content))
    }

    /// Asks the model for advice on `goal`.
    pub(super) async fn goal_advice(
        &self,
        goal: &GoalInput,
        context: &GoalContext,
    ) -> Result<String, LlmError> {
        let user = format!("{}\n{}", goal_message(goal), context_message(context));
        let (answer, content) = self
            .ask("goal_advice", ADVISE, &user, advice_schema)
            .await?;
        checked_advice(&text(&answer, "advice")).ok_or_else(|| unusable("no advice", &content))
    }

    /// Asks the model whether `text` reports progress on `goal`.
    pub(super) async fn goal_progress(
        &self,
        goal: &GoalInput,
        text_to_read: &str,
    ) -> Result<Option<ProgressReading>, LlmError> {
        let excerpt: String = text_to_read.chars().take(MAX_TEXT_CHARS).collect();
        let user = format!("{}\nText:\n{excerpt}", goal_message(goal));
        let (answer, _) = self
            .ask("goal_progress", EXTRACT, &user, progress_schema)
            .await?;
        if answer.get("found").and_then(Value::as_bool) != Some(true) {
            return Ok(None);
        }
        Ok(number(&answer, "value").and_then(|value| {
            ProgressReading {
                value,
                reasoning: text(&answer, "reasoning"),
            }
            .checked()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_requires_all_of_its_fields() {
        for schema in [suggestion_schema(), advice_schema(), progress_schema()] {
            let properties = schema["properties"].as_object().unwrap().len();
            assert_eq!(schema["required"].as_array().unwrap().len(), properties);
            assert_eq!(schema["additionalProperties"], false);
        }
    }
}
