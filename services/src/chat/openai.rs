//! Chat answers from a server speaking the OpenAI chat-completions wire format, streamed (`stream: true`):
//! each `data: {json}` line carries `choices[0].delta.content` (text) or `choices[0].delta.tool_calls`
//! (pieces of tool calls, joined by their `index`), and `data: [DONE]` ends the stream. When the model asks for
//! tools, they are run, their results are sent back as `tool` messages, and the model goes on, at most
//! [`MAX_ROUNDS`] times.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};

use super::{ChatContext, ChatModel, ChatRequest, ChatTools, Chunks};
use crate::llm::LlmError;

/// The most requests one answer makes (each round runs the tools the model asked for).
const MAX_ROUNDS: usize = 5;
/// The most characters of a conversation's transcript the model is shown.
const MAX_TRANSCRIPT_CHARS: usize = 2_000;

const SYSTEM: &str = "You are Omi, the user's assistant. Answer the user's question from their own \
conversations, memories and action items, given below and available through your tools. Cite each \
conversation you use by its number in brackets, for example [1]. Be brief. If nothing answers the question, \
say so. Create an action item only when the user asks for one.";

/// A chat model behind an OpenAI-compatible `/chat/completions` endpoint.
#[derive(Debug)]
pub struct OpenAiChat {
    endpoint: String,
    api_key: Option<String>,
    model: String,
    timeout: Duration,
    client: reqwest::Client,
}

impl OpenAiChat {
    /// `base_url` is the API root including the version (`https://api.openai.com/v1`); the whole answer,
    /// all rounds together, must come within `timeout`.
    pub fn new(
        base_url: &str,
        api_key: Option<String>,
        model: &str,
        timeout: Duration,
    ) -> Result<Self, LlmError> {
        let base_url = base_url.trim().trim_end_matches('/');
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(LlmError::Unavailable(format!(
                "base URL must start with http:// or https://: {base_url:?}"
            )));
        }
        let client = reqwest::Client::builder()
            .user_agent(concat!("omi-server/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| LlmError::Unavailable(format!("cannot create the HTTP client: {e}")))?;
        Ok(Self {
            endpoint: format!("{base_url}/chat/completions"),
            api_key: api_key.filter(|key| !key.trim().is_empty()),
            model: model.trim().to_string(),
            timeout,
            client,
        })
    }

    /// One streamed completion: its text is sent to `chunks` as it comes; returns the text and the tool calls.
    async fn round(
        &self,
        messages: &[Value],
        tools: &Value,
        chunks: &Chunks,
    ) -> Result<(String, Vec<ToolCall>), LlmError> {
        let body = json!({
            "model": self.model,
            "messages": messages,
            "tools": tools,
            "stream": true,
        });
        let mut request = self.client.post(&self.endpoint).json(&body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let mut response = request.send().await.map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            return Err(LlmError::Status {
                status: status.as_u16(),
                body: text.chars().take(300).collect(),
            });
        }
        let mut stream = Stream::default();
        while let Some(bytes) = response.chunk().await.map_err(transport)? {
            stream.buffer.extend_from_slice(&bytes);
            while let Some(line) = stream.next_line() {
                if let Some(text) = stream.read(&line)? {
                    let _ = chunks.send(text).await;
                }
            }
            if stream.done {
                break;
            }
        }
        if !stream.done {
            return Err(LlmError::BadResponse(
                "the stream ended before [DONE]".into(),
            ));
        }
        Ok((stream.text, stream.calls))
    }

    async fn converse(
        &self,
        request: &ChatRequest,
        tools: &dyn ChatTools,
        chunks: &Chunks,
    ) -> Result<String, LlmError> {
        let mut messages = opening(request);
        let offered = offered_tools(request);
        let mut answer = String::new();
        for _ in 0..MAX_ROUNDS {
            let (text, calls) = self.round(&messages, &offered, chunks).await?;
            answer.push_str(&text);
            if calls.is_empty() {
                return Ok(answer);
            }
            messages.push(json!({
                "role": "assistant",
                "content": if text.is_empty() { Value::Null } else { Value::String(text) },
                "tool_calls": calls.iter().map(ToolCall::wire).collect::<Vec<_>>(),
            }));
            for call in &calls {
                let arguments: Value = serde_json::from_str(&call.arguments).unwrap_or(json!({}));
                let result = tools.call(&call.name, &arguments).await;
                messages.push(json!({
                    "role": "tool",
                    "tool_call_id": call.id,
                    "content": result.to_string(),
                }));
            }
        }
        Err(LlmError::BadResponse(format!(
            "the model still called tools after {MAX_ROUNDS} rounds"
        )))
    }
}

#[async_trait]
impl ChatModel for OpenAiChat {
    fn name(&self) -> &str {
        &self.model
    }

    async fn answer(
        &self,
        request: &ChatRequest,
        tools: &dyn ChatTools,
        chunks: &Chunks,
    ) -> Result<String, LlmError> {
        tokio::time::timeout(self.timeout, self.converse(request, tools, chunks))
            .await
            .map_err(|_| LlmError::Timeout(self.timeout))?
    }
}

fn transport(error: reqwest::Error) -> LlmError {
    LlmError::Unavailable(format!("the language model cannot be read: {error}"))
}

/// A tool call as its pieces add up.
#[derive(Debug, Default, Clone)]
struct ToolCall {
    id: String,
    name: String,
    arguments: String,
}

impl ToolCall {
    fn wire(&self) -> Value {
        json!({
            "id": self.id,
            "type": "function",
            "function": { "name": self.name, "arguments": self.arguments },
        })
    }
}

/// The state of one streamed response.
#[derive(Default)]
struct Stream {
    buffer: Vec<u8>,
    text: String,
    calls: Vec<ToolCall>,
    done: bool,
}

impl Stream {
    /// The next complete line of the buffer, without its end.
    fn next_line(&mut self) -> Option<String> {
        let end = self.buffer.iter().position(|b| *b == b'\n')?;
        let line: Vec<u8> = self.buffer.drain(..=end).collect();
        Some(String::from_utf8_lossy(&line).trim_end().to_string())
    }

    /// Reads one line of the event stream; the text it adds, if any.
    fn read(&mut self, line: &str) -> Result<Option<String>, LlmError> {
        let Some(data) = line.strip_prefix("data:").map(str::trim) else {
            return Ok(None);
        };
        if data == "[DONE]" {
            self.done = true;
            return Ok(None);
        }
        let event: Value = serde_json::from_str(data)
            .map_err(|e| LlmError::BadResponse(format!("a stream line is not JSON: {e}")))?;
        if let Some(error) = event.get("error") {
            return Err(LlmError::BadResponse(format!("the model failed: {error}")));
        }
        let delta = &event["choices"][0]["delta"];
        for piece in delta["tool_calls"].as_array().into_iter().flatten() {
            let index = piece["index"].as_u64().unwrap_or(0) as usize;
            if index >= 16 {
                return Err(LlmError::BadResponse("too many tool calls".into()));
            }
            if self.calls.len() <= index {
                self.calls.resize(index + 1, ToolCall::default());
            }
            let call = &mut self.calls[index];
            if let Some(id) = piece["id"].as_str() {
                call.id = id.to_string();
            }
            if let Some(name) = piece["function"]["name"].as_str() {
                call.name.push_str(name);
            }
            if let Some(arguments) = piece["function"]["arguments"].as_str() {
                call.arguments.push_str(arguments);
            }
        }
        match delta["content"].as_str() {
            Some(text) if !text.is_empty() => {
                self.text.push_str(text);
                Ok(Some(text.to_string()))
            }
            _ => Ok(None),
        }
    }
}

/// The system prompt with the retrieved context, the thread's last messages and the question.
fn opening(request: &ChatRequest) -> Vec<Value> {
    let system = match &request.persona {
        None => SYSTEM.to_string(),
        Some(persona) => format!(
            "You are {}, an app the user chats with. {}\n\nAnswer from the user's own conversations, \
             memories and action items, given below and available through your tools. Cite each conversation \
             you use by its number in brackets, for example [1]. Create an action item only when the user asks \
             for one.",
            persona.name, persona.prompt
        ),
    };
    let mut messages = vec![json!({
        "role": "system",
        "content": format!("{system}\n\n{}", context_text(&request.context)),
    })];
    for turn in &request.history {
        messages.push(json!({
            "role": if turn.from_user { "user" } else { "assistant" },
            "content": turn.text,
        }));
    }
    messages.push(json!({ "role": "user", "content": request.question }));
    messages
}

/// The retrieved context as the model reads it: conversations numbered from 1.
pub(crate) fn context_text(context: &ChatContext) -> String {
    let mut text = String::from("Conversations:");
    if context.conversations.is_empty() {
        text.push_str("\n(none found)");
    }
    for (at, conversation) in context.conversations.iter().enumerate() {
        let transcript: String = conversation
            .sentences
            .join(" ")
            .chars()
            .take(MAX_TRANSCRIPT_CHARS)
            .collect();
        text.push_str(&format!(
            "\n[{}] {} ({})\nOverview: {}\nTranscript: {}",
            at + 1,
            conversation.title,
            conversation.created_at.format("%Y-%m-%d"),
            conversation.overview,
            transcript,
        ));
    }
    text.push_str("\n\nMemories:");
    for memory in &context.memories {
        text.push_str(&format!("\n- {memory}"));
    }
    text.push_str("\n\nAction items:");
    for item in &context.action_items {
        let due = item
            .due_at
            .map(|d| format!(", due {}", d.format("%Y-%m-%d")))
            .unwrap_or_default();
        let done = if item.completed { ", done" } else { "" };
        text.push_str(&format!("\n- {}{due}{done}", item.description));
    }
    text
}

/// The server's tools, then the app's, in the chat-completions `tools` form.
fn offered_tools(request: &ChatRequest) -> Value {
    let mut tools = tool_definitions();
    if let Some(list) = tools.as_array_mut() {
        for tool in &request.app_tools {
            list.push(json!({ "type": "function", "function": {
                "name": tool.name, "description": tool.description, "parameters": tool.parameters,
            }}));
        }
    }
    tools
}

/// The tools offered to the model, in the chat-completions `tools` form.
pub fn tool_definitions() -> Value {
    let function = |name: &str, description: &str, parameters: Value| json!({ "type": "function", "function": { "name": name, "description": description, "parameters": parameters } });
    let query = json!({
        "type": "object",
        "properties": {
            "query": { "type": "string", "description": "What to look for" },
            "limit": { "type": "integer", "minimum": 1, "maximum": 10 }
        },
        "required": ["query"]
    });
    json!([
        function(
            "search_conversations",
            "Search the user's conversations; each result has the number to cite it with.",
            query.clone(),
        ),
        function(
            "search_memories",
            "Search the facts known about the user.",
            query
        ),
        function(
            "list_action_items",
            "List the user's action items.",
            json!({
                "type": "object",
                "properties": { "completed": { "type": "boolean" }, "limit": { "type": "integer", "minimum": 1, "maximum": 50 } }
            }),
        ),
        function(
            "create_action_item",
            "Create an action item for the user.",
            json!({
                "type": "object",
                "properties": {
                    "description": { "type": "string" },
                    "due_at": { "type": "string", "description": "ISO 8601 date and time, optional" }
                },
                "required": ["description"]
            }),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_call_pieces_add_up_by_index() {
        let mut stream = Stream::default();
        let lines = [
            r#"data: {"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"create_action_item","arguments":"{\"descr"}}]}}]}"#,
            r#"data: {"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"iption\":\"Call Bob\"}"}}]}}]}"#,
            "data: [DONE]",
        ];
        for line in lines {
            assert_eq!(stream.read(line).unwrap(), None);
        }
        assert!(stream.done);
        assert_eq!(stream.calls.len(), 1);
        assert_eq!(stream.calls[0].name, "create_action_item");
        assert_eq!(stream.calls[0].arguments, r#"{"description":"Call Bob"}"#);
    }

    #[test]
    fn content_pieces_are_the_text() {
        let mut stream = Stream::default();
        let piece = r#"data: {"choices":[{"delta":{"content":"Hello"}}]}"#;
        assert_eq!(stream.read(piece).unwrap(), Some("Hello".into()));
        assert_eq!(stream.read(": keep-alive").unwrap(), None);
        assert!(stream.read("data: {broken").is_err());
    }
}
