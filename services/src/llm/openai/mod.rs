//! Any server speaking the OpenAI chat-completions wire format: OpenAI, Ollama, vLLM, llama.cpp
//! server, LiteLLM, …
//!
//! One request per conversation: `POST {base_url}/chat/completions` with a system prompt
//! implementing the spec's rules (`prompt`), the conversation, and `response_format` set to a
//! strict JSON schema (`wire`). A server that answers 400 (or 422) to `json_schema` is asked again
//! with `{"type": "json_object"}`, and is remembered as not supporting json_schema. The answer is
//! parsed leniently and then validated like every analysis ([`crate::llm::normalize`]).
//!
//! Errors: connection failures → [`LlmError::Unavailable`], no answer within the timeout (default
//! 60 s) → [`LlmError::Timeout`], non-2xx → [`LlmError::Status`], an answer that is not a usable
//! JSON object → [`LlmError::BadResponse`].

mod apps;
mod daily_summary;
mod goals;
mod prompt;
mod wire;
mod wrapped;

#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use self::wire::Format;
use crate::llm::{
    normalize, Analysis, ConversationInput, DayInput, DayWriting, GoalContext, GoalInput,
    GoalSuggestion, LanguageModel, LlmError, ProgressReading, WrittenSections, YearInReview,
};

/// A language model behind an OpenAI-compatible chat-completions endpoint.
#[derive(Debug)]
pub struct OpenAiCompatible {
    base_url: String,
    api_key: Option<String>,
    model: String,
    timeout: Duration,
    temperature: Option<f32>,
    name: String,
    client: reqwest::Client,
    json_schema_rejected: AtomicBool,
}

impl OpenAiCompatible {
    /// Default time allowed for one request (connection, generation and the body).
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

    /// `base_url` is the API root including the version, e.g. `https://api.openai.com/v1` or
    /// `http://localhost:11434/v1`; `api_key` (when set and not blank) is sent as a Bearer token.
    pub fn new(
        base_url: impl Into<String>,
        api_key: Option<String>,
        model: impl Into<String>,
    ) -> Result<Self, LlmError> {
        let base_url = base_url.into().trim().trim_end_matches('/').to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(LlmError::Unavailable(format!(
                "base URL must start with http:// or https://: {base_url:?}"
            )));
        }
        let model = model.into().trim().to_string();
        if model.is_empty() {
            return Err(LlmError::Unavailable("no model name configured".into()));
        }
        let client = reqwest::Client::builder()
            .user_agent(concat!("omi-server/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| LlmError::Unavailable(format!("cannot create the HTTP client: {e}")))?;
        Ok(OpenAiCompatible {
            name: format!("openai-compatible:{model}"),
            base_url,
            api_key: api_key
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty()),
            model,
            timeout: Self::DEFAULT_TIMEOUT,
            temperature: None,
            client,
            json_schema_rejected: AtomicBool::new(false),
        })
    }

    /// Time allowed for one request (default 60 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sampling temperature; `None` (the default) leaves it to the server, since some models only
    /// accept their default.
    pub fn with_temperature(mut self, temperature: Option<f32>) -> Self {
        self.temperature = temperature;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `{base_url}/chat/completions`.
    pub fn endpoint(&self) -> String {
        format!("{}/chat/completions", self.base_url)
    }

    /// One chat completion; returns the assistant message's content.
    async fn complete(&self, system: &str, user: &str, format: Format) -> Result<String, LlmError> {
        let body = wire::request_body(&self.model, system, user, format, self.temperature);
        self.send(&body).await
    }

    /// Posts a chat-completions request body; returns the assistant message's content.
    async fn send(&self, body: &serde_json::Value) -> Result<String, LlmError> {
        let mut request = self
            .client
            .post(self.endpoint())
            .timeout(self.timeout)
            .json(body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| self.transport_error(&e))?;
        if !status.is_success() {
            return Err(LlmError::Status {
                status: status.as_u16(),
                body: error_message(&text),
            });
        }
        wire::completion_content(&text)
    }

    fn transport_error(&self, e: &reqwest::Error) -> LlmError {
        if e.is_timeout() {
            return LlmError::Timeout(self.timeout);
        }
        let mut message = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        if e.is_connect() {
            LlmError::Unavailable(format!("cannot connect to {}: {message}", self.endpoint()))
        } else {
            LlmError::Unavailable(message)
        }
    }
}

/// The `error.message` of an OpenAI-style error body, else an excerpt of the body.
fn error_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error"))
            .or_else(|| v.get("detail"))
            .or_else(|| v.get("message"))
    });
    match message {
        Some(serde_json::Value::String(s)) => wire::excerpt(s),
        _ => wire::excerpt(body.trim()),
    }
}

#[async_trait::async_trait]
impl LanguageModel for OpenAiCompatible {
    fn name(&self) -> &str {
        &self.name
    }

    async fn analyze(&self, input: &ConversationInput) -> Result<Analysis, LlmError> {
        if input.is_empty() {
            // nothing to structure; no need to ask
            return Ok(normalize(Analysis::discarded(""), input));
        }
        let system = prompt::system_prompt();
        let user = prompt::user_message(input);
        let content = if self.json_schema_rejected.load(Ordering::Relaxed) {
            self.complete(&system, &user, Format::JsonObject).await?
        } else {
            match self.complete(&system, &user, Format::JsonSchema).await {
                Err(LlmError::Status {
                    status: 400 | 422,
                    body,
                }) => {
                    tracing::info!(model = %self.model, %body, "json_schema response format rejected; retrying with json_object");
                    self.json_schema_rejected.store(true, Ordering::Relaxed);
                    self.complete(&system, &user, Format::JsonObject).await?
                }
                other => other?,
            }
        };
        let analysis = wire::parse_analysis(&content, input)?;
        Ok(normalize(analysis, input))
    }

    async fn write_daily_summary(&self, day: &DayInput) -> Result<DayWriting, LlmError> {
        self.daily_summary(day).await
    }

    async fn write_wrapped(&self, year: &YearInReview) -> Result<WrittenSections, LlmError> {
        self.wrapped_sections(year).await
    }

    async fn suggest_goal(&self, context: &GoalContext) -> Result<GoalSuggestion, LlmError> {
        self.goal_suggestion(context).await
    }

    async fn advise_on_goal(
        &self,
        goal: &GoalInput,
        context: &GoalContext,
    ) -> Result<String, LlmError> {
        self.goal_advice(goal, context).await
    }

    async fn extract_goal_progress(
        &self,
        goal: &GoalInput,
        text: &str,
    ) -> Result<Option<ProgressReading>, LlmError> {
        self.goal_progress(goal, text).await
    }

    async fn run_app_prompt(
        &self,
        input: &crate::llm::apps::AppPromptInput,
    ) -> Result<Option<String>, LlmError> {
        self.app_result(input).await
    }
}
