//! `omi-server mcp`: MCP over stdio for local assistants (Claude Desktop, editors), one JSON-RPC message (or
//! batch) per line on stdin, the answers one per line on stdout; logs go to stderr. The key is `OMI_API_KEY`
//! (an `omi_mcp_` key); the tools act for its user, with the key as the actor of every write.
//!
//! Two ways to reach the data:
//! * With `OMI_API_BASE_URL` (e.g. `http://127.0.0.1:8080`), like Omi's own local MCP server: every message is
//!   forwarded to the running server's Streamable HTTP endpoint (`/v1/mcp/sse`). This works beside a running
//!   server on any store, and against a remote one.
//! * Without it, the process opens the configured store itself (`OMI_DATA_DIR` / `DATABASE_URL`, as `serve`
//!   does) and answers from it. On PostgreSQL this runs beside servers; on SQLite the data directory is locked
//!   by whichever process has it, so the server must not be running (use `OMI_API_BASE_URL` then).

use std::cell::RefCell;

use omi_domain::api_key::KeyFamily;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::http::SESSION_HEADER;
use super::protocol;
use super::tools::TOOL_FAILED;
use crate::config::Config;
use crate::key_auth::{self, KeyHolder};
use crate::server;

/// The env var with the MCP key.
pub const API_KEY_VAR: &str = "OMI_API_KEY";
/// The env var with the base URL of a running server to forward to.
pub const BASE_URL_VAR: &str = "OMI_API_BASE_URL";

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The MCP key from `OMI_API_KEY`.
pub fn api_key() -> anyhow::Result<String> {
    var(API_KEY_VAR).ok_or_else(|| {
        anyhow::Error::msg(format!(
            "{API_KEY_VAR} must hold an MCP key (omi_mcp_...; create one with POST /v1/mcp/keys)"
        ))
    })
}

/// The server to forward to, from `OMI_API_BASE_URL`.
pub fn base_url() -> Option<String> {
    var(BASE_URL_VAR).map(|url| url.trim_end_matches('/').to_string())
}

/// JSON-RPC errors answering every request in `body` (a message or a batch) with `message`.
fn failures(body: &Value, message: &str) -> Option<Value> {
    let failure = |message_value: &Value| {
        let id = message_value.get("id").filter(|id| !id.is_null())?;
        message_value.get("method")?;
        Some(json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": { "code": TOOL_FAILED.0, "message": message },
        }))
    };
    match body {
        Value::Array(messages) => {
            let errors: Vec<Value> = messages.iter().filter_map(failure).collect();
            (!errors.is_empty()).then_some(Value::Array(errors))
        }
        single => failure(single),
    }
}

/// Reads messages from stdin until it closes; `answer` gives the reply to each (parse errors are answered
/// here).
async fn serve_lines<F, Fut>(mut answer: F) -> anyhow::Result<()>
where
    F: FnMut(Value) -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<Value>(&line) {
            Ok(body) => answer(body).await,
            Err(error) => Some(protocol::parse_error(error)),
        };
        if let Some(reply) = reply {
            let mut text = reply.to_string();
            text.push('\n');
            stdout.write_all(text.as_bytes()).await?;
            stdout.flush().await?;
        }
    }
    Ok(())
}

/// Answers from the store this process opens (see the module docs for SQLite).
pub async fn direct(config: Config, key: &str) -> anyhow::Result<()> {
    let state = server::state(config).await?;
    let tail = state.projector.spawn();
    let record = key_auth::find(&state, KeyFamily::Mcp, key)
        .await
        .map_err(|e| anyhow::Error::msg(format!("{API_KEY_VAR}: {e}")))?;
    tracing::info!(key_id = %record.key.id, "MCP over stdio, on the store");
    let mut served = 0u64;
    let result = serve_lines(|body| {
        served += 1;
        let request_id = format!("mcp-stdio-{served}");
        let state = &state;
        async move {
            // The key is looked up again for every message: a revoked key stops working at once.
            match key_auth::find(state, KeyFamily::Mcp, key).await {
                Ok(record) => {
                    let holder = KeyHolder::of(&record, request_id);
                    protocol::handle_body(state, &holder, body).await.0
                }
                Err(error) => failures(&body, &format!("{API_KEY_VAR}: {error}")),
            }
        }
    })
    .await;
    tail.abort();
    state.database.close().await;
    result
}

/// Forwards every message to the server at `base` (Streamable HTTP, JSON answers), keeping its session.
pub async fn proxy(base: &str, key: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .build()
        .map_err(|e| anyhow::Error::msg(format!("cannot build the HTTP client: {e}")))?;
    let url = format!("{base}/v1/mcp/sse");
    tracing::info!(%url, "MCP over stdio, forwarding");
    let session: RefCell<Option<String>> = RefCell::new(None);
    let result = serve_lines(|body| {
        let client = &client;
        let url = &url;
        let session = &session;
        async move {
            // Once more without the session when the server forgot it (it restarted, or another process
            // answers): requests need no session on this server.
            for attempt in 0..2 {
                let mut request = client
                    .post(url.as_str())
                    .bearer_auth(key)
                    .header(CONTENT_TYPE, "application/json")
                    .header(ACCEPT, "application/json")
                    .body(body.to_string());
                if let Some(id) = session.borrow().clone() {
                    request = request.header(SESSION_HEADER, id);
                }
                let response = match request.send().await {
                    Ok(response) => response,
                    Err(error) => return failures(&body, &format!("cannot reach {url}: {error}")),
                };
                if let Some(id) = response
                    .headers()
                    .get(SESSION_HEADER)
                    .and_then(|v| v.to_str().ok())
                {
                    *session.borrow_mut() = Some(id.to_string());
                }
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                if status == reqwest::StatusCode::NOT_FOUND
                    && session.borrow().is_some()
                    && attempt == 0
                {
                    *session.borrow_mut() = None;
                    continue;
                }
                if status == reqwest::StatusCode::ACCEPTED {
                    return None;
                }
                let answer = serde_json::from_str::<Value>(&text).ok();
                if status.is_success() {
                    return answer;
                }
                // A JSON-RPC error from the transport (a parse error) is an answer too.
                if let Some(answer) = answer.filter(|a| a.get("jsonrpc").is_some()) {
                    return Some(answer);
                }
                return failures(&body, &format!("omi-server answered {status}: {text}"));
            }
            None
        }
    })
    .await;
    if let Some(id) = session.into_inner() {
        let _ = client
            .delete(url.as_str())
            .bearer_auth(key)
            .header(SESSION_HEADER, id)
            .send()
            .await;
    }
    result
}
