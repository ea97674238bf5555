//! Against a local chat-completions server started inside each test.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use super::OpenAiCompatible;
use crate::llm::{ConversationInput, LanguageModel, LlmError, TranscriptLine};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Good,
    Discard,
    RejectSchema,
    ServerError,
    InvalidContent,
    Slow,
}

struct Recorded {
    authorization: Option<String>,
    body: Value,
}

struct Server {
    mode: Mode,
    requests: Mutex<Vec<Recorded>>,
}

impl Server {
    fn requests(&self) -> Vec<(Option<String>, Value)> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|r| (r.authorization.clone(), r.body.clone()))
            .collect()
    }
}

fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap()
}

fn good_answer() -> String {
    json!({
        "discarded": false,
        "title": "acme launch plan",
        "overview": "Sarah and the user planned the Acme launch.",
        "emoji": "🚀",
        "category": "Work",
        "action_items": [
            { "description": " Send Sarah the budget spreadsheet ", "due_at": "2026-11-27T23:59:00Z" },
            { "description": "Book the conference room", "due_at": "2026-11-24T09:00:00Z" },
            { "description": "Email the vendor", "due_at": null }
        ],
        "events": [
            { "title": "Acme demo", "description": "Demo with the Acme team", "start": "2026-11-30T10:00:00Z", "duration": 240 }
        ],
        "memories": [
            { "content": "User prefers morning meetings", "category": "system" },
            { "content": "User is allergic to shellfish", "category": "system" },
            { "content": "User works at Globex", "category": "system" },
            { "content": "User lives in Lisbon", "category": "system" },
            { "content": "Sarah advises rehearsing demos twice", "category": "interesting" }
        ],
        "trends": [
            { "category": "ai_product", "topic": "chatgpt", "type": "best" },
            { "category": "company", "topic": "Acme", "type": "best" },
            { "category": "ceo", "topic": "ChatGPT", "type": "worst" },
            { "category": "software_product", "topic": "Slack", "type": "meh" },
            { "category": "hardware_product", "topic": "Vision Pro", "type": "worst" },
            { "category": "ai_product", "topic": "ChatGPT", "type": "worst" }
        ]
    })
    .to_string()
}

fn discard_answer() -> String {
    json!({ "discarded": true, "title": "", "overview": "", "emoji": "🎉", "category": "other",
            "action_items": [], "events": [], "memories": [] })
    .to_string()
}

fn completion(content: &str) -> Response {
    Json(json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_764_064_800,
        "model": "test-model",
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": content }, "finish_reason": "stop" }],
        "usage": { "prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200 }
    }))
    .into_response()
}

async fn chat_completions(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let format = body["response_format"]["type"]
        .as_str()
        .unwrap_or("")
        .to_string();
    s.requests.lock().unwrap().push(Recorded {
        authorization,
        body,
    });
    match s.mode {
        Mode::Good => completion(&good_answer()),
        Mode::Discard => completion(&discard_answer()),
        Mode::RejectSchema if format == "json_schema" => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": { "message": "response_format json_schema is not supported", "type": "invalid_request_error" } })),
        )
            .into_response(),
        Mode::RejectSchema => completion(&good_answer()),
        Mode::ServerError => {
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": { "message": "model crashed" } }))).into_response()
        }
        Mode::InvalidContent => completion("Sure! Here is a summary of the conversation."),
        Mode::Slow => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            completion(&good_answer())
        }
    }
}

/// Starts a server; returns its base URL (`http://127.0.0.1:port/v1`).
async fn start(mode: Mode) -> (String, Arc<Server>) {
    let server = Arc::new(Server {
        mode,
        requests: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/v1"), server)
}

fn input() -> ConversationInput {
    let lines = vec![
        TranscriptLine {
            speaker: "User".into(),
            is_user: true,
            text: "I'll send you the budget spreadsheet by Friday.".into(),
            start: 0.0,
            end: 4.5,
        },
        TranscriptLine {
            speaker: "Sarah".into(),
            is_user: false,
            text: "Great, and the Acme demo is Monday at 10.".into(),
            start: 5.0,
            end: 8.0,
        },
    ];
    let mut input = ConversationInput::from_lines(lines, utc(25, 10, 0));
    input.utc_offset_minutes = 60;
    input
}

fn model(base: &str, key: Option<&str>) -> OpenAiCompatible {
    OpenAiCompatible::new(base, key.map(str::to_string), "test-model").unwrap()
}

#[tokio::test]
async fn a_good_answer_is_parsed_and_validated() {
    let (base, _server) = start(Mode::Good).await;
    let llm = model(&base, Some("sk-test"));
    assert_eq!(llm.name(), "openai-compatible:test-model");
    let a = llm.analyze(&input()).await.unwrap();
    assert!(!a.discarded);
    assert_eq!(a.title, "Acme Launch Plan");
    assert_eq!(a.category, "work");
    assert_eq!(a.emoji, "🚀");
    assert_eq!(a.overview, "Sarah and the user planned the Acme launch.");
    let items: Vec<(&str, Option<DateTime<Utc>>)> = a
        .action_items
        .iter()
        .map(|i| (i.description.as_str(), i.due_at))
        .collect();
    assert_eq!(
        items,
        [
            ("Send Sarah the budget spreadsheet", Some(utc(27, 23, 59))),
            ("Book the conference room", None), // due before the capture time: dropped
            ("Email the vendor", None),
        ]
    );
    assert_eq!(a.events.len(), 1);
    assert_eq!(a.events[0].start, utc(30, 10, 0));
    assert_eq!(a.events[0].duration_minutes, 180, "capped");
    assert_eq!(a.memories.len(), 4, "at most 4");
    let trends: Vec<(&str, &str, &str)> = a
        .trends
        .iter()
        .map(|t| (t.category.as_str(), t.topic.as_str(), t.kind.as_str()))
        .collect();
    assert_eq!(
        trends,
        [
            ("ai_product", "ChatGPT", "best"),
            ("hardware_product", "Vision Pro", "worst"),
        ],
        "only whitelisted topics of their own category with a known type, once each"
    );
}

#[tokio::test]
async fn the_request_carries_model_messages_schema_and_key() {
    let (base, server) = start(Mode::Good).await;
    model(&base, Some("sk-test"))
        .analyze(&input())
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let (auth, body) = &requests[0];
    assert_eq!(auth.as_deref(), Some("Bearer sk-test"));
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["stream"], false);
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "system");
    let system = messages[0]["content"].as_str().unwrap();
    assert!(
        system.contains("KEEP OR DISCARD")
            && system.contains("ACTION ITEMS")
            && system.contains("MEMORIES")
    );
    assert_eq!(messages[1]["role"], "user");
    let user = messages[1]["content"].as_str().unwrap();
    assert!(
        user.contains("Capture time (UTC): 2026-11-25T10:00:00Z"),
        "{user}"
    );
    assert!(user.contains("UTC offset +01:00"), "{user}");
    assert!(
        user.contains("[0:00:00 - 0:00:04] User: I'll send you the budget spreadsheet by Friday."),
        "{user}"
    );
    assert!(
        user.contains("[0:00:05 - 0:00:08] Sarah: Great, and the Acme demo is Monday at 10."),
        "{user}"
    );
    let format = &body["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["strict"], true);
    assert_eq!(
        format["json_schema"]["schema"]["properties"]["category"]["enum"]
            .as_array()
            .unwrap()
            .len(),
        33
    );
}

#[tokio::test]
async fn no_key_no_authorization_header() {
    let (base, server) = start(Mode::Good).await;
    model(&base, Some("  ")).analyze(&input()).await.unwrap();
    assert_eq!(server.requests()[0].0, None);
}

#[tokio::test]
async fn a_400_to_json_schema_falls_back_to_json_object_and_is_remembered() {
    let (base, server) = start(Mode::RejectSchema).await;
    let llm = model(&base, None);
    let a = llm.analyze(&input()).await.unwrap();
    assert_eq!(a.title, "Acme Launch Plan");
    let formats: Vec<String> = server
        .requests()
        .iter()
        .map(|(_, b)| b["response_format"]["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(formats, ["json_schema", "json_object"]);
    llm.analyze(&input()).await.unwrap();
    assert_eq!(
        server.requests().len(),
        3,
        "the second conversation goes straight to json_object"
    );
    assert_eq!(
        server.requests()[2].1["response_format"]["type"],
        "json_object"
    );
}

#[tokio::test]
async fn a_discard_answer_gives_a_discarded_analysis() {
    let (base, _server) = start(Mode::Discard).await;
    let a = model(&base, None).analyze(&input()).await.unwrap();
    assert!(a.discarded);
    assert_eq!(a.title, "");
    assert_eq!(a.emoji, "🎉");
}

#[tokio::test]
async fn a_server_error_is_a_status_error() {
    let (base, _server) = start(Mode::ServerError).await;
    let err = model(&base, None).analyze(&input()).await.unwrap_err();
    match &err {
        LlmError::Status { status, body } => {
            assert_eq!(*status, 500);
            assert_eq!(body, "model crashed");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.is_transient());
}

#[tokio::test]
async fn invalid_json_content_is_a_bad_response() {
    let (base, _server) = start(Mode::InvalidContent).await;
    let err = model(&base, None).analyze(&input()).await.unwrap_err();
    assert!(matches!(err, LlmError::BadResponse(_)), "{err:?}");
    assert!(err.to_string().contains("not a JSON object"), "{err}");
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let (base, _server) = start(Mode::Slow).await;
    let llm = model(&base, None).with_timeout(Duration::from_millis(300));
    assert_eq!(llm.timeout(), Duration::from_millis(300));
    let started = Instant::now();
    let err = llm.analyze(&input()).await.unwrap_err();
    assert_eq!(err, LlmError::Timeout(Duration::from_millis(300)));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_closed_port_is_unavailable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = model(&format!("http://{addr}/v1"), None)
        .analyze(&input())
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("cannot connect"), "{err}");
}

#[tokio::test]
async fn an_empty_conversation_is_not_sent() {
    let (base, server) = start(Mode::Good).await;
    let empty = ConversationInput::from_lines(vec![], utc(25, 10, 0));
    assert!(model(&base, None).analyze(&empty).await.unwrap().discarded);
    assert!(server.requests().is_empty());
}

#[test]
fn configuration_is_checked() {
    let llm = OpenAiCompatible::new("http://localhost:11434/v1/ ", None, " llama3.2 ").unwrap();
    assert_eq!(llm.base_url(), "http://localhost:11434/v1");
    assert_eq!(llm.model(), "llama3.2");
    assert_eq!(llm.endpoint(), "http://localhost:11434/v1/chat/completions");
    assert_eq!(llm.timeout(), OpenAiCompatible::DEFAULT_TIMEOUT);
    assert!(matches!(
        OpenAiCompatible::new("localhost:11434", None, "m"),
        Err(LlmError::Unavailable(_))
    ));
    assert!(matches!(
        OpenAiCompatible::new("http://x/v1", None, " "),
        Err(LlmError::Unavailable(_))
    ));
}
