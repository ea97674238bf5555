//! The processing pipeline against a language model served locally over the OpenAI chat-completions protocol:
//! a failing model marks the conversation `failed` (never stuck in `processing`), reprocessing recovers it, and
//! the result reaches the action-item and memory lists.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use omi_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A chat-completions server: answers 500 until `healthy`, then a fixed analysis; keeps the requests.
struct FakeModel {
    url: String,
    healthy: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<(String, Value)>>>,
}

const ANSWER: &str = r#"{"discarded": false, "title": "Budget Review With Sam", "overview": "Sam and the user reviewed the launch budget.",
  "emoji": "💰", "category": "business",
  "action_items": [{"description": "Send the revised budget to Sam", "due_at": "2030-01-02T09:00:00Z"}],
  "events": [{"title": "Launch Review", "description": "Review the launch", "start": "2030-01-03T15:00:00Z", "duration": 45}],
  "memories": [{"content": "User manages the launch budget", "category": "system"}]}"#;

impl FakeModel {
    async fn start() -> FakeModel {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let healthy = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (h, c, r) = (healthy.clone(), calls.clone(), requests.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (h, c, r) = (h.clone(), c.clone(), r.clone());
                tokio::spawn(async move { serve(socket, h, c, r).await });
            }
        });
        FakeModel {
            url,
            healthy,
            calls,
            requests,
        }
    }
}

async fn serve(
    mut socket: TcpStream,
    healthy: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<(String, Value)>>>,
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
            "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"}],
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

async fn wait_for_status(server: &TestServer, token: &str, id: &str, wanted: &str) -> Response {
    let started = Instant::now();
    loop {
        let conversation = server.get(&format!("/v1/conversations/{id}"), token).await;
        if conversation["status"] == wanted {
            return conversation;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "status stayed {}; wanted {wanted}",
            conversation["status"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

both_stores!(with_store a_failing_model_fails_the_conversation_and_reprocessing_recovers_it, |store| async move {
    let model = FakeModel::start().await;
    let options = StartOptions::new()
        .env("OMI_LLM_BASE_URL", model.url.clone())
        .env("OMI_LLM_API_KEY", "sk-test-key")
        .env("OMI_LLM_MODEL", "test-model");
    let server = TestServer::start_with(store, options).await;
    let token = server.token("sam").await;
    let created = server
        .post(
            "/v1/conversations/from-segments",
            &token,
            json!({"transcript_segments": [
                {"text": "Let's go over the launch budget.", "speaker": "SPEAKER_01", "start": 0.0, "end": 2.0},
                {"text": "I'll send you the revised budget tomorrow morning.", "speaker": "SPEAKER_00", "is_user": true, "start": 2.5, "end": 5.0}
            ]}),
        )
        .await;
    created.assert_status(200);
    let id = created["id"].as_str().unwrap().to_string();

    let failed = wait_for_status(&server, &token, &id, "failed").await;
    assert_eq!(failed["structured"]["title"], "");
    assert!(model.calls.load(Ordering::SeqCst) >= 1);
    {
        let requests = model.requests.lock().unwrap();
        let (authorization, request) = &requests[0];
        assert_eq!(authorization, "Bearer sk-test-key");
        assert_eq!(request["model"], "test-model");
        let prompt = request["messages"].to_string();
        assert!(prompt.contains("revised budget"), "the transcript is in the prompt: {prompt}");
    }

    model.healthy.store(true, Ordering::SeqCst);
    let reprocessed = server.post(&format!("/v1/conversations/{id}/reprocess"), &token, json!(null)).await;
    reprocessed.assert_status(200);
    let completed = wait_for_status(&server, &token, &id, "completed").await;
    assert_eq!(completed["structured"]["title"], "Budget Review with Sam", "titles are normalized to Title Case");
    assert_eq!(completed["structured"]["category"], "business");
    assert_eq!(completed["structured"]["events"][0]["duration"], 45);
    assert_eq!(completed["structured"]["action_items"][0]["description"], "Send the revised budget to Sam");

    let started = Instant::now();
    loop {
        let items = server.get(&format!("/v1/conversations/{id}/action-items"), &token).await;
        let memories = server.get("/v1/memories", &token).await;
        let synced = items["action_items"].as_array().is_some_and(|a| a.len() == 1)
            && memories.json.as_array().is_some_and(|m| m.iter().any(|m| m["content"] == "User manages the launch budget" && m["conversation_id"] == id.as_str()));
        if synced {
            assert_eq!(items["action_items"][0]["due_at"], "2030-01-02T09:00:00+00:00");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "not synced: {} / {}", items.text, memories.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Reprocessing again replaces, never duplicates.
    server.post(&format!("/v1/conversations/{id}/reprocess"), &token, json!(null)).await.assert_status(200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let items = server.get(&format!("/v1/conversations/{id}/action-items"), &token).await;
    assert_eq!(items["action_items"].as_array().unwrap().len(), 1, "{}", items.text);
    let memories = server.get("/v1/memories", &token).await;
    let linked = memories.json.as_array().unwrap().iter().filter(|m| m["conversation_id"] == id.as_str()).count();
    assert_eq!(linked, 1);
});
