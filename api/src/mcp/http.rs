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

use aide::axum::routing::{get_with, post_with};
use aide::axum::ApiRouter;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::stream::{self, Stream, StreamExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

use super::answers::{
    LegacyAccepted, LegacyStream, Messages, Replies, SessionEnded, SessionStream,
};
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
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/mcp/sse",
            post_with(post_messages, |op| {
                op.summary("MCP Streamable HTTP: JSON-RPC requests (single or batch)")
            })
            .get_with(open_stream, |op| {
                op.summary(
                    "MCP Streamable HTTP: the server's event stream (legacy stream without a session)",
                )
            })
            .delete_with(end_session, |op| {
                op.summary("MCP Streamable HTTP: end a session (Mcp-Session-Id)")
            }),
        )
        .api_route(
            "/v1/mcp/sse/legacy",
            get_with(open_legacy, |op| {
                op.summary("MCP HTTP+SSE (2024-11-05): the event stream")
            }),
        )
        .api_route(
            LEGACY_MESSAGES,
            post_with(post_legacy, |op| {
                op.summary("MCP HTTP+SSE (2024-11-05): post a message (?session_id=)")
            }),
        )
}

/// How to connect an MCP client.
#[derive(Serialize, JsonSchema)]
pub struct ConnectionInfo {
    endpoint: &'static str,
    transport: &'static str,
    protocol_version: &'static str,
    server: ServerInfo,
    authentication: Authentication,
    legacy_sse: LegacySse,
    instructions: Instructions,
    /// The names of the tools.
    tools: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
struct ServerInfo {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize, JsonSchema)]
struct Authentication {
    #[serde(rename = "type")]
    kind: &'static str,
    header: &'static str,
    keys: &'static str,
}

#[derive(Serialize, JsonSchema)]
struct LegacySse {
    endpoint: &'static str,
    messages: &'static str,
    protocol_version: &'static str,
}

#[derive(Serialize, JsonSchema)]
struct Instructions {
    streamable_http: &'static str,
    stdio: &'static str,
}

/// `GET /v1/mcp/sse/info` (no authentication): how to connect.
pub async fn info() -> Json<ConnectionInfo> {
    let tools = tools::tools().iter().map(|t| t.name.to_string()).collect();
    Json(ConnectionInfo {
        endpoint: "/v1/mcp/sse",
        transport: "streamable-http",
        protocol_version: PROTOCOL_VERSION,
        server: ServerInfo {
            name: SERVER_NAME,
            version: env!("CARGO_PKG_VERSION"),
        },
        authentication: Authentication {
            kind: "bearer",
            header: "Authorization: Bearer omi_mcp_<key> (the bare key is accepted too)",
            keys: "create one with POST /v1/mcp/keys (user auth)",
        },
        legacy_sse: LegacySse {
            endpoint: "/v1/mcp/sse/legacy",
            messages: LEGACY_MESSAGES,
            protocol_version: "2024-11-05",
        },
        instructions: Instructions {
            streamable_http: "POST JSON-RPC messages to /v1/mcp/sse; keep the Mcp-Session-Id that initialize returns",
            stdio: "run `omi-server mcp` with OMI_API_KEY (and OMI_API_BASE_URL to use a running server)",
        },
        tools,
    })
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
    Messages(body): Messages,
) -> Replies {
    Replies(answer_messages(state, sessions, key, headers, body).await)
}

async fn answer_messages(
    state: AppState,
    sessions: Sessions,
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
    Extension(sessions): Extension<Sessions>,
    key: KeyHolder,
    headers: HeaderMap,
) -> SessionStream {
    let Some(session) = session_of(&headers) else {
        // Without a session this is a client of the older HTTP+SSE transport.
        let LegacyStream(stream) = open_legacy(Extension(sessions), key).await;
        return SessionStream(stream);
    };
    let access = sessions.access(&session, &key.uid);
    if access != Access::Granted {
        return SessionStream(refuse(access));
    }
    let alive = {
        let sessions = sessions.clone();
        move || sessions.exists(&session)
    };
    SessionStream(sse_response(Body::from_stream(event_stream(
        None,
        None,
        alive,
        || {},
    ))))
}

async fn end_session(
    Extension(sessions): Extension<Sessions>,
    key: KeyHolder,
    headers: HeaderMap,
) -> SessionEnded {
    let Some(session) = session_of(&headers) else {
        let refused = ApiError::BadRequest("Mcp-Session-Id header is required".into());
        return SessionEnded(refused.into_response());
    };
    SessionEnded(refuse(sessions.close(&session, &key.uid)))
}

async fn open_legacy(Extension(sessions): Extension<Sessions>, key: KeyHolder) -> LegacyStream {
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
    LegacyStream(sse_response(Body::from_stream(event_stream(
        Some(endpoint),
        Some(receiver),
        || true,
        on_end,
    ))))
}

/// The session a legacy message is for (either spelling; required).
#[derive(Deserialize, JsonSchema)]
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
    Messages(body): Messages,
) -> LegacyAccepted {
    LegacyAccepted(accept_legacy(state, sessions, key, query, body).await)
}

async fn accept_legacy(
    state: AppState,
    sessions: Sessions,
    key: KeyHolder,
    query: LegacySession,
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
