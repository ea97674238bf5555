//! One question answered from the user's history without a chat thread (spec §7.4 `POST /v1/dev/user/ask`):
//! the same retrieval and model as the chat, with read-only tools; nothing is stored. When search finds no
//! conversation, the model is not asked.

use omi_domain::chat::{checked_text, MAX_CITED};
use omi_services::chat::{cited, ChatRequest};
use schemars::JsonSchema;
use serde::Serialize;
use tokio::sync::mpsc;

use super::messages::{cited_conversations, CitedConversation};
use super::retrieval::retrieve;
use super::tools::AppTools;
use crate::app::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// What an answer says when search finds no conversation.
pub const NOTHING_FOUND: &str = "I couldn't find anything about that in your conversations.";

/// An answer and the conversations it cites.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Asked {
    /// The answer, without citation markers.
    pub answer: String,
    /// The conversations the answer cites (at most 5), in order.
    pub sources: Vec<CitedConversation>,
}

/// Answers `question` (422 at `body.question` when it is empty, too long or holds NUL); 503 when the model
/// fails.
pub async fn ask(state: &AppState, caller: &Caller, question: &str) -> ApiResult<Asked> {
    checked_text(question)
        .map_err(|error| ApiError::invalid("body.question", error.to_string()))?;
    let context = retrieve(state, &caller.uid, question).await?;
    if context.conversations.is_empty() {
        return Ok(Asked {
            answer: NOTHING_FOUND.into(),
            sources: Vec::new(),
        });
    }
    let tools = AppTools::new(state.clone(), caller.clone(), &context.conversations).read_only();
    let request = ChatRequest {
        history: Vec::new(),
        question: question.to_string(),
        context,
        persona: None,
        app_tools: Vec::new(),
    };
    let (chunks, mut received) = mpsc::channel::<String>(64);
    let answering = async {
        let chunks = chunks;
        state.chat.answer(&request, &tools, &chunks).await
    };
    let draining = async { while received.recv().await.is_some() {} };
    let (answered, ()) = tokio::join!(answering, draining);
    let text = answered
        .map_err(|error| ApiError::Unavailable(format!("The language model failed: {error}")))?;
    let numbered = tools.numbered();
    let citations = cited(&text, numbered.len(), MAX_CITED);
    let ids: Vec<String> = citations
        .cited
        .iter()
        .map(|at| numbered[*at].clone())
        .collect();
    Ok(Asked {
        answer: citations.text,
        sources: cited_conversations(state, &caller.uid, &ids).await?,
    })
}
