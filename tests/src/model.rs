//! A language model served locally over the OpenAI chat-completions protocol, for tests that run the server
//! with `OMI_LLM_BASE_URL`: it answers each request with the content registered for the name of the answer the
//! request asks for (`response_format.json_schema.name`, e.g. `conversation_analysis`, `daily_summary`; a
//! request naming none gets the first), or 500 while it is not `healthy`, and keeps every request.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The running model.
pub struct FakeModel {
    /// The `/v1` base URL to give the server.
    pub url: String,
    /// Answers 500 ("model overloaded") while false.
    pub healthy: Arc<AtomicBool>,
    /// Requests received.
    pub calls: Arc<AtomicUsize>,
    /// Each request's `Authorization` header and JSON body.
    pub requests: Arc<Mutex<Vec<(String, Value)>>>,
    answers: Answers,
}

/// The contents the model answers with, by answer name.
type Answers = Arc<Mutex<Vec<(String, String)>>>;

impl FakeModel {
    /// A healthy model answering `answers` (answer name, assistant message content).
    pub async fn start(answers: &[(&str, &str)]) -> FakeModel {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let healthy = Arc::new(AtomicBool::new(true));
        let calls = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let answers: Answers = Arc::new(Mutex::new(
            answers
                .iter()
                .map(|(name, content)| (name.to_string(), content.to_string()))
                .collect(),
        ));
        let (h, c, r, a) = (
            healthy.clone(),
            calls.clone(),
            requests.clone(),
            answers.clone(),
        );
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (h, c, r, a) = (h.clone(), c.clone(), r.clone(), a.clone());
                tokio::spawn(async move { serve(socket, h, c, r, a).await });
            }
        });
        FakeModel {
            url,
            healthy,
            calls,
            requests,
            answers,
        }
    }

    /// Answers `content` from now on to requests for the answer `name`.
    pub fn answer(&self, name: &str, content: &str) {
        let mut answers = self.answers.lock().unwrap();
        answers.retain(|(known, _)| known != name);
        answers.push((name.to_string(), content.to_string()));
    }

    /// The bodies of the requests that asked for the answer `name`.
    pub fn requests_for(&self, name: &str) -> Vec<Value> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, body)| answer_name(body) == Some(name))
            .map(|(_, body)| body.clone())
            .collect()
    }
}

fn answer_name(body: &Value) -> Option<&str> {
    body.pointer("/response_format/json_schema/name")
        .and_then(Value::as_str)
}

async fn serve(
    mut socket: TcpStream,
    healthy: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<(String, Value)>>>,
    answers: Answers,
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
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let content = {
        let answers = answers.lock().unwrap();
        answer_name(&request)
            .and_then(|name| answers.iter().find(|(known, _)| known == name))
            .or_else(|| answers.first())
            .map(|(_, content)| content.clone())
            .unwrap_or_default()
    };
    requests.lock().unwrap().push((authorization, request));
    let (status, body) = if healthy.load(Ordering::SeqCst) {
        let completion = json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "test-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
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
