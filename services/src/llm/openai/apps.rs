//! A summarization app's prompt asked of the model: the app's `memory_prompt` is the instruction, the
//! conversation (title, overview, transcript) the material, and the answer one JSON object `{"result": …}`
//! (schema `app_result`), checked like the offline run's.

use serde_json::{json, Value};

use super::goals::text;
use super::OpenAiCompatible;
use crate::llm::apps::{checked_result, AppPromptInput};
use crate::llm::LlmError;

/// The transcript shown to the model is cut to this many characters.
const MAX_TRANSCRIPT_CHARS: usize = 60_000;

fn result_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["result"],
        "properties": { "result": { "type": "string" } },
    })
}

fn system_prompt(input: &AppPromptInput) -> String {
    format!(
        "You are the app \"{}\" of a memory assistant. You read one conversation of the user and do what the \
         app's instructions below say, writing in the language with code \"{}\". You answer with a single JSON \
         object and nothing else: \"result\" holds your whole answer as text.\n\nThe app's instructions:\n{}",
        input.app_name, input.language, input.prompt
    )
}

fn user_message(input: &AppPromptInput) -> String {
    let transcript: String = input
        .transcript
        .chars()
        .take(MAX_TRANSCRIPT_CHARS)
        .collect();
    format!(
        "Title: {}\nOverview: {}\n\nTranscript:\n{}",
        input.title, input.overview, transcript
    )
}

impl OpenAiCompatible {
    /// Asks the model to run the app's prompt on the conversation.
    pub(super) async fn app_result(
        &self,
        input: &AppPromptInput,
    ) -> Result<Option<String>, LlmError> {
        let (answer, _) = self
            .ask(
                "app_result",
                &system_prompt(input),
                &user_message(input),
                result_schema,
            )
            .await?;
        Ok(checked_result(&text(&answer, "result")))
    }
}
