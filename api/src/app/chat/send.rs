//! Sending a message (spec §6.4 `POST /v2/messages`): the human message is stored first, then the answer is
//! produced in the background and streamed as it comes; only a complete answer is stored, with its `[n]`
//! markers removed and the conversations they name as `memories_id`. A failing model ends the stream with
//! [`StreamItem::Failed`] and stores nothing more.

use omi_domain::app::ChatTool;
use omi_domain::chat::{checked_text, thread_id, ChatCommand, MessageType, MAX_CITED};
use omi_projections::apps::AppRecord;
use omi_projections::chat::{self, Sender};
use omi_services::chat::{cited, ChatRequest, Persona, ToolSpec, Turn};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::execute;
use super::messages::{shaped_one, Message, ResponseMessage};
use super::retrieval::retrieve;
use super::tools::AppTools;
use crate::app::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How many earlier messages of the thread the model is given.
const HISTORY: usize = 10;
/// How many stream items may wait for a slow client before the answerer waits too.
const BUFFERED: usize = 64;

/// What the stream of an answer carries, in order: chunks of text, then the stored answer or a failure.
#[derive(Debug)]
pub enum StreamItem {
    Chunk(String),
    Done(Box<ResponseMessage>),
    /// Why no answer was stored.
    Failed(String),
}

/// An answer being produced.
pub struct Answering {
    pub items: mpsc::Receiver<StreamItem>,
}

/// Stores the user's message `text` in the context of `app_id` and starts answering it: 422 for a text that is
/// empty, longer than 10,000 characters or holds NUL.
pub async fn send(
    state: &AppState,
    caller: &Caller,
    app_id: Option<String>,
    text: &str,
) -> ApiResult<Answering> {
    checked_text(text).map_err(|error| ApiError::invalid("body.text", error.to_string()))?;
    let message_id = Uuid::new_v4().to_string();
    let command = ChatCommand::SendHumanMessage {
        uid: caller.uid.clone(),
        app_id: app_id.clone(),
        message_id: message_id.clone(),
        text: text.to_string(),
        at: state.clock.now(),
    };
    execute(state, caller, app_id.as_deref(), command).await?;
    let thread = thread_id(&caller.uid, app_id.as_deref());
    let mut earlier = chat::current(&state.database, &caller.uid, &thread, HISTORY + 1).await?;
    earlier.retain(|message| message.id != message_id);
    earlier.truncate(HISTORY);
    let history = earlier
        .into_iter()
        .rev()
        .map(|message| Turn {
            from_user: message.sender == Sender::Human,
            text: message.text,
        })
        .collect();
    let (out, items) = mpsc::channel(BUFFERED);
    let question = Question {
        app_id,
        text: text.to_string(),
        history,
    };
    tokio::spawn(answer(state.clone(), caller.clone(), question, out));
    Ok(Answering { items })
}

/// Waits for the whole answer: the stored message, or 503 with why the model failed.
pub async fn answer_whole(mut answering: Answering) -> ApiResult<ResponseMessage> {
    while let Some(item) = answering.items.recv().await {
        match item {
            StreamItem::Chunk(_) => {}
            StreamItem::Done(message) => return Ok(*message),
            StreamItem::Failed(reason) => return Err(ApiError::Unavailable(reason)),
        }
    }
    Err(ApiError::Internal(
        "the answer ended without a message".into(),
    ))
}

/// A question and where it was asked.
struct Question {
    app_id: Option<String>,
    text: String,
    /// The thread's earlier messages, oldest first.
    history: Vec<Turn>,
}

async fn answer(
    state: AppState,
    caller: Caller,
    question: Question,
    out: mpsc::Sender<StreamItem>,
) {
    let item = match respond(&state, &caller, question, &out).await {
        Ok(message) => StreamItem::Done(Box::new(message.into())),
        Err(reason) => {
            tracing::warn!(uid = %caller.uid, %reason, "chat answer failed");
            StreamItem::Failed(reason)
        }
    };
    let _ = out.send(item).await;
}

/// Answers, forwarding the chunks to `out`, and stores the answer; why not, when it cannot.
async fn respond(
    state: &AppState,
    caller: &Caller,
    question: Question,
    out: &mpsc::Sender<StreamItem>,
) -> Result<Message, String> {
    let context = retrieve(state, &caller.uid, &question.text)
        .await
        .map_err(|error| format!("Could not search your history: {error}"))?;
    let app = match question.app_id.as_deref() {
        Some(app_id) => omi_projections::apps::app(&state.database, app_id)
            .await
            .map_err(|error| format!("Could not read the app: {error}"))?
            .map(|listed| listed.app),
        None => None,
    };
    let mut tools = AppTools::new(state.clone(), caller.clone(), &context.conversations);
    let mut app_tools = Vec::new();
    if let Some(app) = &app {
        app_tools = app.chat_tools.iter().map(tool_spec).collect();
        tools = tools.with_app_tools(&app.id, app.chat_tools.clone());
    }
    let request = ChatRequest {
        history: question.history,
        question: question.text,
        context,
        persona: app.as_ref().and_then(persona_of),
        app_tools,
    };
    let (chunks, mut received) = mpsc::channel::<String>(BUFFERED);
    let answering = async {
        let chunks = chunks;
        state.chat.answer(&request, &tools, &chunks).await
    };
    let forwarding = async {
        while let Some(chunk) = received.recv().await {
            let _ = out.send(StreamItem::Chunk(chunk)).await;
        }
    };
    let (answered, ()) = tokio::join!(answering, forwarding);
    let text = answered.map_err(|error| format!("The language model failed: {error}"))?;
    let numbered = tools.numbered();
    let citations = cited(&text, numbered.len(), MAX_CITED);
    if citations.text.trim().is_empty() {
        return Err("The language model gave an empty answer".into());
    }
    let message_id = Uuid::new_v4().to_string();
    let command = ChatCommand::GiveAiAnswer {
        uid: caller.uid.clone(),
        app_id: question.app_id.clone(),
        message_id: message_id.clone(),
        text: citations.text.replace('\0', ""),
        memories_id: citations
            .cited
            .iter()
            .map(|at| numbered[*at].clone())
            .collect(),
        kind: MessageType::Text,
        at: state.clock.now(),
    };
    execute(state, caller, question.app_id.as_deref(), command)
        .await
        .map_err(|error| format!("The answer could not be stored: {error}"))?;
    let view = chat::message(&state.database, &caller.uid, &message_id)
        .await
        .map_err(|error| format!("The answer could not be read back: {error}"))?
        .ok_or("The answer could not be read back")?;
    shaped_one(state, &caller.uid, view)
        .await
        .map_err(|error| format!("The answer could not be read back: {error}"))
}

/// The persona of an app's chat: its `persona_prompt` when it is a persona, else its `chat_prompt`; `None` for
/// an app without either.
fn persona_of(app: &AppRecord) -> Option<Persona> {
    let definition = &app.definition;
    [&definition.persona_prompt, &definition.chat_prompt]
        .into_iter()
        .flatten()
        .map(|prompt| prompt.trim())
        .find(|prompt| !prompt.is_empty())
        .map(|prompt| Persona {
            name: definition.name.clone(),
            prompt: prompt.to_string(),
        })
}

/// An app's tool as the model is offered it (an object schema without properties when it declares none).
fn tool_spec(tool: &ChatTool) -> ToolSpec {
    ToolSpec {
        name: tool.name.clone(),
        description: tool.description.clone(),
        parameters: tool
            .parameters
            .clone()
            .unwrap_or_else(|| serde_json::json!({"type": "object", "properties": {}})),
    }
}
