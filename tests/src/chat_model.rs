//! A language model served locally over the OpenAI chat-completions protocol, for tests of the processing
//! pipeline with a model: answers 500 until `healthy`, then its fixed answer as the assistant message; keeps
//! every request (authorization header and body).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running chat-completions server; point the server at it with `OMI_LLM_BASE_URL` = [`ChatModel::url`].
pub struct ChatModel {
    /// The base URL (`http://127.0.0.1:PORT/v1`).
    pub url: String,
    /// Whether it answers (true) or fails with 500 (false).
    pub healthy: Arc<AtomicBool>,
    pub calls: Arc<AtomicUsize>,
    /// `(authorization header, request body)` of every call.
    pub requests: Arc<Mutex<Vec<(String, Value)>>>,
}

impl ChatModel {
    /// A server that fails until made healthy, then answers `answer` (the assistant message's content).
    pub async fn start(answer: &str) -> ChatModel {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let model = ChatModel {
            url,
            healthy: Arc::new(AtomicBool::new(false)),
            calls: Arc::new(AtomicUsize::new(0)),
            requests: Arc::new(Mutex::new(Vec::new())),
        };
        let (h, c, r) = (
            model.healthy.clone(),
            model.calls.clone(),
            model.requests.clone(),
        );
        let answer = Arc::new(answer.to_string());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (h, c, r, a) = (h.clone(), c.clone(), r.clone(), answer.clone());
                tokio::spawn(async move { serve(socket, h, c, r, &a).await });
            }
        });
        model
    }

    /// A server that answers `answer` from the start.
    pub async fn answering(answer: &str) -> ChatModel {
        let model = Self::start(answer).await;
        model.healthy.store(true, Ordering::SeqCst);
        model
    }
}

async fn serve(
    mut socket: TcpStream,
    healthy: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<(String, Value)>>>,
    answer: &str,
) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head, body) = loop {
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buffer).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = text[..end].to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                break (
                    head,
                    String::from_utf8_lossy(&buffer[end + 4..end + 4 + length]).to_string(),
                );
            }
        }
    };
    calls.fetch_add(1, Ordering::SeqCst);
    let authorization = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("authorization: ")
                .or_else(|| l.strip_prefix("Authorization: "))
        })
        .unwrap_or_default()
        .to_string();
    requests.lock().unwrap().push((
        authorization,
        serde_json::from_str(&body).unwrap_or(Value::Null),
    ));
    let (status, body) = if healthy.load(Ordering::SeqCst) {
        let completion = json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "test-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        });
        ("200 OK", completion.to_string())
    } else {
        (
            "500 Internal Server Error",
            json!({"error": {"message": "model overloaded", "type": "server_error"}}).to_string(),
        )
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
}
