//! The MCP transports over HTTP, behind MCP key authentication:
//!
//! * Streamable HTTP (protocol 2025-03-26) at `/v1/mcp/sse`: `POST` one JSON-RPC message or a batch, answered
//!   as `text/event-stream` (`event: message` per answer) when the client accepts it, else as JSON; 202 when
//!   nothing needs an answer. `initialize` opens a session (`Mcp-Session-Id`) owned by the key's user; a request
//!   with another user's session is refused (403), one with an unknown session 404. `GET` opens the keepalive
//!   stream of a session (`event: ping` every 30 s). `DELETE` ends a session (204; 400 without the header).
//! * The legacy HTTP+SSE transport (protocol 2024-11-05) for older clients: `GET /v1/mcp/sse/legacy` (or
//!   `GET /v1/mcp/sse` without a session) opens an event stream whose first event, `endpoint`, names the URL to
//!   `POST` messages to (`/v1/mcp/messages?session_id=…`); those POSTs are answered 202 and the answers arrive
//!   on the stream as `event: message`.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use futures::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::protocol::{self, PROTOCOL_VERSION, SERVER_NAME};
use super::sessions::{Access, Sessions};
use super::tools;
use crate::error::ApiError;
use crate::extract::Params;
use crate::key_auth::KeyHolder;
use crate::state::AppState;

/// The session header of Streamable HTTP.
pub const SESSION_HEADER: &str = "mcp-session-id";
/// How often an open event stream gets a `ping`.
const PING_EVERY: Duration = Duration::from_secs(30);
/// Where the legacy transport's messages go.
const LEGACY_MESSAGES: &str = "/v1/mcp/messages";

/// The routes of this module (behind MCP key authentication, see [`super::router`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/mcp/sse",
            post(post_messages).get(open_stream).delete(end_session),
        )
        .route("/v1/mcp/sse/legacy", get(open_legacy))
        .route(LEGACY_MESSAGES, post(post_legacy))
}

/// `GET /v1/mcp/sse/info` (no authentication): how to connect.
pub async fn info() -> Json<Value> {
    let tools: Vec<&str> = tools::tools().iter().map(|t| t.name.as_ref()).collect();
    Json(json!({
        "endpoint": "/v1/mcp/sse",
        "transport": "streamable-http",
        "protocol_version": PROTOCOL_VERSION,
        "server": { "name": SERVER_NAME, "version": env!("CARGO_PKG_VERSION") },
        "authentication": {
            "type": "bearer",
            "header": "Authorization: Bearer omi_mcp_<key> (the bare key is accepted too)",
            "keys": "create one with POST /v1/mcp/keys (user auth)",
        },
        "legacy_sse": {
            "endpoint": "/v1/mcp/sse/legacy",
            "messages": LEGACY_MESSAGES,
            "protocol_version": "2024-11-05",
        },
        "instructions": {
            "streamable_http": "POST JSON-RPC messages to /v1/mcp/sse; keep the Mcp-Session-Id that initialize returns",
            "stdio": "run `omi-server mcp` with OMI_API_KEY (and OMI_API_BASE_URL to use a running server)",
        },
        "tools": tools,
    }))
}

fn session_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
}

fn refuse(access: Access) -> Response {
    match access {
        Access::Unknown => {
            ApiError::NotFound("Session not found; initialize a new one".into()).into_response()
        }
        Access::Foreign => {
            ApiError::Forbidden("This session belongs to another user".into()).into_response()
        }
        Access::Granted => StatusCode::NO_CONTENT.into_response(),
    }
}

fn accepts_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/event-stream"))
}

/// One SSE event.
fn event(name: &str, data: &str) -> String {
    let mut frame = format!("event: {name}\n");
    for line in data.lines() {
        frame.push_str("data: ");
        frame.push_str(line);
        frame.push('\n');
    }
    frame.push('\n');
    frame
}

fn sse_response(body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// A JSON-RPC parse error for a body that is not JSON.
fn parse_failure(error: serde_json::Error) -> Response {
    (StatusCode::BAD_REQUEST, Json(protocol::parse_error(error))).into_response()
}

async fn post_messages(
    State(state): State<AppState>,
    Extension(sessions): Extension<Sessions>,
    key: KeyHolder,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(session) = session_of(&headers) {
        let access = sessions.access(&session, &key.uid);
        if access != Access::Granted {
            return refuse(access);
        }
    }
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(error) => return parse_failure(error),
    };
    let batch = body.is_array();
    let (replies, initialized) = protocol::handle_body(&state, &key, body).await;
    let session = initialized.then(|| sessions.open(&key.uid));
    let mut response = match replies {
        None => StatusCode::ACCEPTED.into_response(),
        Some(replies) if accepts_event_stream(&headers) => {
            let messages = match replies {
                Value::Array(replies) if batch => replies,
                single => vec![single],
            };
            let frames: String = messages
                .iter()
                .map(|message| event("message", &message.to_string()))
                .collect();
            sse_response(Body::from(frames))
        }
        Some(replies) => Json(replies).into_response(),
    };
    if let Some(session) = session.and_then(|s| HeaderValue::from_str(&s).ok()) {
        response.headers_mut().insert(SESSION_HEADER, session);
    }
    response
}

/// Pings every [`PING_EVERY`] (the first right away) while `alive` says so, interleaved with `messages`.
fn event_stream(
    first: Option<String>,
    messages: Option<mpsc::Receiver<String>>,
    alive: impl Fn() -> bool + Send + 'static,
    on_end: impl FnOnce() + Send + 'static,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(end) = self.0.take() {
                end();
            }
        }
    }
    let mut ticks = tokio::time::interval(PING_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let alive: Box<dyn Fn() -> bool + Send> = Box::new(alive);
    let state = (ticks, messages, Guard(Some(on_end)), alive);
    let head = stream::iter(first.map(|frame| Ok(Bytes::from(frame))));
    let tail = stream::unfold(
        state,
        |(mut ticks, mut messages, guard, alive)| async move {
            let frame = match messages.as_mut() {
                Some(receiver) => tokio::select! {
                    message = receiver.recv() => match message {
                        Some(message) => event("message", &message),
                        None => return None,
                    },
                    _ = ticks.tick() => event("ping", "{}"),
                },
                None => {
                    ticks.tick().await;
                    event("ping", "{}")
                }
            };
            if !alive() {
                return None;
            }
            Some((Ok(Bytes::from(frame)), (ticks, messages, guard, alive)))
        },
    );
    head.chain(tail)
}

async fn open_stream(
    State(state): State<AppState>,
    Extension(sessions): Extension<Sessions>,
    key: KeyHolder,
    headers: HeaderMap,
) -> Response {
    let Some(session) = session_of(&headers) else {
        // Without a session this is a client of the older HTTP+SSE transport.
        return open_legacy(State(state), Extension(sessions), key).await;
    };
    let access = sessions.access(&session, &key.uid);
    if access != Access::Granted {
        return refuse(access);
    }
    let alive = {
        let sessions = sessions.clone();
        move || sessions.exists(&session)
    };
    sse_response(Body::from_stream(event_stream(None, None, alive, || {})))
}

async fn end_session(
    Extension(sessions): Extension<Sessions>,
    key: KeyHolder,
    headers: HeaderMap,
) -> Response {
    let Some(session) = session_of(&headers) else {
        return ApiError::BadRequest("Mcp-Session-Id header is required".into()).into_response();
    };
    refuse(sessions.close(&session, &key.uid))
}

async fn open_legacy(
    State(_state): State<AppState>,
    Extension(sessions): Extension<Sessions>,
    key: KeyHolder,
) -> Response {
    let (session, receiver) = sessions.open_legacy(&key.uid);
    let endpoint = event(
        "endpoint",
        &format!("{LEGACY_MESSAGES}?session_id={session}"),
    );
    let on_end = {
        let sessions = sessions.clone();
        let session = session.clone();
        move || sessions.end_legacy(&session)
    };
    sse_response(Body::from_stream(event_stream(
        Some(endpoint),
        Some(receiver),
        || true,
        on_end,
    )))
}

#[derive(Deserialize)]
struct LegacySession {
    session_id: Option<String>,
    #[serde(rename = "sessionId")]
    session_id_camel: Option<String>,
}

async fn post_legacy(
    State(state): State<AppState>,
    Extension(sessions): Extension<Sessions>,
    key: KeyHolder,
    Params(query): Params<LegacySession>,
    body: Bytes,
) -> Response {
    let Some(session) = query.session_id.or(query.session_id_camel) else {
        return ApiError::BadRequest("session_id is required".into()).into_response();
    };
    let sender = match sessions.legacy(&session, &key.uid) {
        Ok(sender) => sender,
        Err(access) => return refuse(access),
    };
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(error) => return parse_failure(error),
    };
    let (replies, _) = protocol::handle_body(&state, &key, body).await;
    if let Some(replies) = replies {
        if sender.send(replies.to_string()).await.is_err() {
            return ApiError::NotFound("Session not found; its event stream is closed".into())
                .into_response();
        }
    }
    (StatusCode::ACCEPTED, "Accepted").into_response()
}
