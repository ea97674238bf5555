//! A language model served locally over the OpenAI chat-completions protocol, for tests: each request's body is
//! handed to a function that gives the assistant's content, or `None` for an HTTP 500 ("model overloaded").
//! Every request is kept.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the model answers to a request body: the assistant message's content, or `None` for a 500.
pub type Answer = Arc<dyn Fn(&Value) -> Option<String> + Send + Sync>;

/// A running fake model.
pub struct FakeModel {
    /// The API root to configure (`OMI_LLM_BASE_URL`).
    pub url: String,
    /// The bodies of the requests received, in order.
    pub requests: Arc<Mutex<Vec<Value>>>,
}

impl FakeModel {
    /// Starts a model that answers with `answer`.
    pub async fn start(answer: Answer) -> FakeModel {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port");
        let url = format!("http://{}/v1", listener.local_addr().expect("its address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let kept = requests.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (answer, kept) = (answer.clone(), kept.clone());
                tokio::spawn(async move { serve(socket, answer, kept).await });
            }
        });
        FakeModel { url, requests }
    }

    /// The server's settings that point it at this model.
    pub fn env(&self) -> [(&'static str, String); 3] {
        [
            ("OMI_LLM_BASE_URL", self.url.clone()),
            ("OMI_LLM_API_KEY", "sk-test-key".to_string()),
            ("OMI_LLM_MODEL", "test-model".to_string()),
        ]
    }
}

/// The system prompt of a chat-completions request body.
pub fn system_prompt(body: &Value) -> String {
    body["messages"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn serve(mut socket: TcpStream, answer: Answer, kept: Arc<Mutex<Vec<Value>>>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let body = loop {
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if buffer.len() >= end + 4 + length {
            break serde_json::from_slice::<Value>(&buffer[end + 4..end + 4 + length])
                .unwrap_or(Value::Null);
        }
    };
    let content = answer(&body);
    kept.lock().expect("the requests").push(body);
    let (status, body) = match content {
        Some(content) => (
            "200 OK",
            json!({
                "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "test-model",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
            })
            .to_string(),
        ),
        None => (
            "500 Internal Server Error",
            json!({"error": {"message": "model overloaded", "type": "server_error"}}).to_string(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
}
