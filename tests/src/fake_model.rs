//! A language model served locally over the OpenAI chat-completions protocol, for tests that run the server
//! with [`FakeModel::env`]. It answers each request with the content registered for the name of the answer the
//! request asks for (`response_format.json_schema.name`, e.g. `conversation_analysis`, `daily_summary`), or
//! with its default content when the request names none (a `json_object` request, such as the yearly recap's)
//! or a name with nothing registered. While it is not healthy it answers 500 ("model overloaded"). It counts
//! and keeps every request.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};

use crate::local_http::{read_request, respond_json};
use crate::StartOptions;

/// The API key the server is given by [`FakeModel::env`]; requests carry it as `Bearer sk-test-key`.
const FAKE_MODEL_API_KEY: &str = "sk-test-key";
/// The model name the server is given by [`FakeModel::env`].
const FAKE_MODEL_NAME: &str = "test-model";

/// One request the model received.
#[derive(Debug, Clone)]
pub struct ModelRequest {
    /// The `Authorization` header, empty when there was none.
    pub authorization: String,
    /// The JSON body (`null` when it was not JSON).
    pub body: Value,
}

impl ModelRequest {
    /// The name of the answer asked for (`response_format.json_schema.name`), if any.
    pub fn answer_name(&self) -> Option<&str> {
        answer_name(&self.body)
    }

    /// The content of the first message (the system prompt), empty when there is none.
    pub fn system_prompt(&self) -> &str {
        self.body["messages"][0]["content"]
            .as_str()
            .unwrap_or_default()
    }
}

/// What the serving tasks share with the test.
struct State {
    healthy: AtomicBool,
    calls: AtomicUsize,
    requests: Mutex<Vec<ModelRequest>>,
    /// The default content and the contents by answer name.
    answers: Mutex<(String, Vec<(String, String)>)>,
}

/// A running model.
pub struct FakeModel {
    /// The API root (`http://127.0.0.1:PORT/v1`), given to the server as `OMI_LLM_BASE_URL`.
    pub url: String,
    state: Arc<State>,
}

impl FakeModel {
    /// A healthy model that answers `default` to every request until [`FakeModel::answer`] registers other
    /// contents by answer name.
    pub async fn start(default: &str) -> FakeModel {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port");
        let url = format!("http://{}/v1", listener.local_addr().expect("its address"));
        let state = Arc::new(State {
            healthy: AtomicBool::new(true),
            calls: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            answers: Mutex::new((default.to_string(), Vec::new())),
        });
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move { serve(socket, &state).await });
            }
        });
        FakeModel { url, state }
    }

    /// Answers `content` from now on to requests for the answer `name`.
    pub fn answer(&self, name: &str, content: &str) {
        let mut answers = self.state.answers.lock().expect("the answers");
        answers.1.retain(|(known, _)| known != name);
        answers.1.push((name.to_string(), content.to_string()));
    }

    /// Answers from now on (`true`), or fails every request with 500 "model overloaded" (`false`).
    pub fn set_healthy(&self, healthy: bool) {
        self.state.healthy.store(healthy, Ordering::SeqCst);
    }

    /// How many requests it has received, answered or failed.
    pub fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<ModelRequest> {
        self.state.requests.lock().expect("the requests").clone()
    }

    /// The bodies of the requests that asked for the answer `name`, in order.
    pub fn requests_for(&self, name: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|request| request.answer_name() == Some(name))
            .map(|request| request.body)
            .collect()
    }

    /// The server's settings that point it at this model: `OMI_LLM_BASE_URL`, `OMI_LLM_API_KEY` and
    /// `OMI_LLM_MODEL`.
    pub fn env(&self) -> [(&'static str, String); 3] {
        [
            ("OMI_LLM_BASE_URL", self.url.clone()),
            ("OMI_LLM_API_KEY", FAKE_MODEL_API_KEY.to_string()),
            ("OMI_LLM_MODEL", FAKE_MODEL_NAME.to_string()),
        ]
    }

    /// Start options with [`FakeModel::env`] set.
    pub fn start_options(&self) -> StartOptions {
        self.env()
            .into_iter()
            .fold(StartOptions::new(), |options, (key, value)| {
                options.env(key, value)
            })
    }
}

fn answer_name(body: &Value) -> Option<&str> {
    body.pointer("/response_format/json_schema/name")
        .and_then(Value::as_str)
}

/// Reads one request from `socket`, keeps it, and answers it.
async fn serve(mut socket: TcpStream, state: &State) {
    let Some(read) = read_request(&mut socket).await else {
        return;
    };
    let request = ModelRequest {
        authorization: read.authorization,
        body: serde_json::from_slice(&read.body).unwrap_or(Value::Null),
    };
    state.calls.fetch_add(1, Ordering::SeqCst);
    let content = {
        let answers = state.answers.lock().expect("the answers");
        request
            .answer_name()
            .and_then(|name| answers.1.iter().find(|(known, _)| known == name))
            .map_or_else(|| answers.0.clone(), |(_, content)| content.clone())
    };
    state.requests.lock().expect("the requests").push(request);
    let (status, body) = if state.healthy.load(Ordering::SeqCst) {
        let completion = json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": FAKE_MODEL_NAME,
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
    respond_json(&mut socket, status, &body).await;
}
