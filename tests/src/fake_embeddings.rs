//! An embeddings server speaking OpenAI's `POST /v1/embeddings` wire format, for tests that run the server with
//! [`FakeEmbeddings::env`]. Its vectors are made from words: each word of a few families of synonyms (cars,
//! money, health, music) counts towards its family's dimension, and every other word towards one of many
//! dimensions by a hash of its letters, so "automobile" lies near a text about a car that never says "automobile", as a
//! real model would place it. While it is not healthy it answers 500. It counts and keeps every request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};

use crate::local_http::{read_request, respond_json};
use crate::StartOptions;

/// The model name the server is given by [`FakeEmbeddings::env`].
pub const FAKE_EMBEDDINGS_MODEL: &str = "test-embeddings";
/// The API key the server is given by [`FakeEmbeddings::env`].
const FAKE_EMBEDDINGS_API_KEY: &str = "sk-embeddings-key";

/// The families of words that share a dimension: a car, money, health, music.
const FAMILIES: &[&[&str]] = &[
    &[
        "car",
        "cars",
        "automobile",
        "vehicle",
        "garage",
        "mechanic",
        "brakes",
        "engine",
        "tyres",
    ],
    &[
        "budget", "money", "finance", "costs", "cost", "dollars", "salary", "invoice", "spending",
    ],
    &[
        "doctor",
        "health",
        "medicine",
        "hospital",
        "knee",
        "physiotherapy",
        "injury",
        "clinic",
    ],
    &[
        "guitar", "music", "song", "concert", "band", "melody", "album",
    ],
];
/// Dimensions beyond the families, for every other word (many, so unrelated words rarely share one).
const OTHER_DIMENSIONS: usize = 1024;

/// What the serving tasks share with the test.
struct State {
    healthy: AtomicBool,
    /// The bodies of the requests received, in order.
    requests: Mutex<Vec<(String, Value)>>,
}

/// A running embeddings server.
pub struct FakeEmbeddings {
    /// The API root (`http://127.0.0.1:PORT/v1`), given to the server as `OMI_EMBEDDINGS_BASE_URL`.
    pub url: String,
    state: Arc<State>,
}

impl FakeEmbeddings {
    pub async fn start() -> FakeEmbeddings {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port");
        let url = format!("http://{}/v1", listener.local_addr().expect("its address"));
        let state = Arc::new(State {
            healthy: AtomicBool::new(true),
            requests: Mutex::new(Vec::new()),
        });
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move { serve(socket, &state).await });
            }
        });
        FakeEmbeddings { url, state }
    }

    /// Answers from now on (`true`), or fails every request with 500 (`false`).
    pub fn set_healthy(&self, healthy: bool) {
        self.state.healthy.store(healthy, Ordering::SeqCst);
    }

    /// The `Authorization` header and JSON body of every request received, in order.
    pub fn requests(&self) -> Vec<(String, Value)> {
        self.state.requests.lock().expect("the requests").clone()
    }

    /// The server's settings that point it at this server.
    pub fn env(&self) -> [(&'static str, String); 3] {
        [
            ("OMI_EMBEDDINGS_BASE_URL", self.url.clone()),
            (
                "OMI_EMBEDDINGS_API_KEY",
                FAKE_EMBEDDINGS_API_KEY.to_string(),
            ),
            ("OMI_EMBEDDINGS_MODEL", FAKE_EMBEDDINGS_MODEL.to_string()),
        ]
    }

    /// `options` with [`FakeEmbeddings::env`] set.
    pub fn options(&self, options: StartOptions) -> StartOptions {
        self.env()
            .into_iter()
            .fold(options, |options, (key, value)| options.env(key, value))
    }
}

/// The vector of `text`: a family's words count 3 towards its dimension, other words 1 towards theirs.
pub fn embed(text: &str) -> Vec<f64> {
    let mut vector = vec![0.0; FAMILIES.len() + OTHER_DIMENSIONS];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_lowercase();
        match FAMILIES
            .iter()
            .position(|family| family.contains(&word.as_str()))
        {
            Some(family) => vector[family] += 3.0,
            None => {
                // FNV-1a of the word's bytes.
                let hash = word.bytes().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
                    (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
                });
                vector[FAMILIES.len() + (hash % OTHER_DIMENSIONS as u64) as usize] += 1.0;
            }
        }
    }
    vector
}

async fn serve(mut socket: TcpStream, state: &State) {
    let Some(request) = read_request(&mut socket).await else {
        return;
    };
    if !request.request_line.starts_with("POST /v1/embeddings ") {
        let error = json!({"error": {"message": "not found", "type": "invalid_request_error"}});
        return respond_json(&mut socket, "404 Not Found", &error.to_string()).await;
    }
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    state
        .requests
        .lock()
        .expect("the requests")
        .push((request.authorization, body.clone()));
    if !state.healthy.load(Ordering::SeqCst) {
        let error = json!({"error": {"message": "overloaded", "type": "server_error"}});
        return respond_json(&mut socket, "500 Internal Server Error", &error.to_string()).await;
    }
    let inputs: Vec<String> = match &body["input"] {
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many
            .iter()
            .map(|input| input.as_str().unwrap_or_default().to_string())
            .collect(),
        _ => {
            let error =
                json!({"error": {"message": "input is required", "type": "invalid_request_error"}});
            return respond_json(&mut socket, "400 Bad Request", &error.to_string()).await;
        }
    };
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, input)| json!({"object": "embedding", "index": index, "embedding": embed(input)}))
        .collect();
    let answer = json!({
        "object": "list",
        "data": data,
        "model": body["model"],
        "usage": {"prompt_tokens": 1, "total_tokens": 1}
    });
    respond_json(&mut socket, "200 OK", &answer.to_string()).await;
}
