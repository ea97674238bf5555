//! Answering a chat message from the user's own history (spec §6.4): the question, the last messages of the
//! thread and what retrieval found (numbered conversations, memories, action items) go to a [`ChatModel`],
//! which streams its answer in chunks and cites the conversations it used as `[n]`.
//!
//! Two implementations:
//! - [`ExtractiveChat`]: the embedded default. Deterministic and offline: it picks the passages of the
//!   retrieved context that best match the question and cites where they came from.
//! - [`OpenAiChat`]: any server speaking the OpenAI chat-completions wire format with `stream: true`; the model
//!   may call [`ChatTools`] (searching conversations and memories, listing and creating action items), whose
//!   results are fed back before it goes on.

mod citations;
mod extractive;
mod openai;
mod terms;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::mpsc;

pub use citations::{cited, Citations};
pub use extractive::ExtractiveChat;
pub use openai::{tool_definitions, OpenAiChat};

use crate::llm::LlmError;

/// One earlier message of the thread.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// Written by the user (else by the AI).
    pub from_user: bool,
    pub text: String,
}

/// A conversation retrieval found, numbered by its place in [`ChatContext::conversations`] (1 first).
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievedConversation {
    pub id: String,
    pub title: String,
    pub overview: String,
    pub created_at: DateTime<Utc>,
    /// Its transcript (or imported text) split into sentences, in order.
    pub sentences: Vec<String>,
}

/// An action item retrieval found.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievedActionItem {
    pub description: String,
    pub completed: bool,
    pub due_at: Option<DateTime<Utc>>,
}

/// What retrieval found for a question, best first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatContext {
    pub conversations: Vec<RetrievedConversation>,
    /// Memory contents.
    pub memories: Vec<String>,
    pub action_items: Vec<RetrievedActionItem>,
}

/// The app the user chats with (spec §2.7): its name and its `chat_prompt` (or a persona's `persona_prompt`).
#[derive(Debug, Clone, PartialEq)]
pub struct Persona {
    pub name: String,
    pub prompt: String,
}

/// A tool of the app the user chats with, as the model is offered it (besides the server's own).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// The JSON Schema object of the arguments.
    pub parameters: Value,
}

/// What a chat model is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// The last messages of the thread, oldest first, without the question.
    pub history: Vec<Turn>,
    pub question: String,
    pub context: ChatContext,
    /// The app whose chat this is; `None` in the main chat. A model speaks as the app; the offline answerer
    /// answers from the user's history alike in every chat.
    pub persona: Option<Persona>,
    /// The app's own tools (spec §5.5), offered to a model after the server's; the offline answerer calls none.
    pub app_tools: Vec<ToolSpec>,
}

/// Where a model streams the chunks of its answer.
pub type Chunks = mpsc::Sender<String>;

/// The tools a model may call, run for the user who asks.
#[async_trait]
pub trait ChatTools: Send + Sync {
    /// Runs the tool `name` with `arguments`; the JSON the model is given back (an `error` field when the
    /// call was refused).
    async fn call(&self, name: &str, arguments: &Value) -> Value;
}

/// A model that answers chat messages.
#[async_trait]
pub trait ChatModel: Send + Sync {
    /// A short name for logs.
    fn name(&self) -> &str;

    /// Streams the answer to `request` into `chunks` and returns its whole text once it is complete. An error
    /// means the answer is incomplete: what was streamed must not be kept as an answer.
    async fn answer(
        &self,
        request: &ChatRequest,
        tools: &dyn ChatTools,
        chunks: &Chunks,
    ) -> Result<String, LlmError>;
}
