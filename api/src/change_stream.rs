//! The change feed as Server-Sent Events, as both doors that offer it answer (`/v1/changes/stream` for the app,
//! `/v1/dev/user/changes/stream` for developer keys): each event is `id:` (its cursor), `event:` (its stored
//! name) and `data:` (the JSON the feed's pages show for it). A comment opens the stream and another is sent
//! whenever nothing else was for the keep-alive interval. The stream ends when the server shuts down or the
//! log cannot be read; the client reconnects with `Last-Event-ID` and goes on from the last event it received.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use aide::generate::GenContext;
use aide::openapi::{
    HeaderStyle, Operation, Parameter, ParameterData, ParameterSchemaOrContent, Response,
};
use aide::openapi::{SchemaObject, StatusCode};
use aide::{OperationInput, OperationOutput};
use axum::body::{Body, Bytes};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use indexmap::IndexMap;
use omi_store::LoggedEvent;
use schemars::json_schema;

use crate::app::changes::{Change, Follow};
use crate::error::{error_response, ApiError, ApiResult};
use crate::openapi::{add_parameters, ensure_response, media};
use crate::state::AppState;

/// The event stream of one user's changes, from a position on.
pub struct ChangeStream(axum::response::Response);

impl ChangeStream {
    /// Streams `uid`'s events after `after`; 503 when the process already serves as many streams as
    /// `OMI_MAX_CHANGE_STREAMS` allows.
    pub fn open(state: &AppState, uid: &str, after: omi_store::LogPosition) -> ApiResult<Self> {
        let follow = state.changes.follow(Some(uid), after).ok_or_else(|| {
            ApiError::Unavailable(
                "Too many change streams are open on this server; retry shortly or page with GET \
                 /v1/changes"
                    .into(),
            )
        })?;
        let streaming = Streaming {
            follow,
            keepalive: state.config.changes_keepalive,
            shutdown: Box::pin(state.connections.shutting_down()),
            opened: false,
        };
        let frames = futures::stream::unfold(streaming, Streaming::next_frame);
        let mut response = Body::from_stream(frames).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        // Proxies such as nginx would otherwise hold events back to fill their buffers.
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        Ok(ChangeStream(response))
    }
}

struct Streaming {
    follow: Follow,
    keepalive: Duration,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    opened: bool,
}

impl Streaming {
    /// The next frame: the opening comment, an event, or a keep-alive comment; `None` ends the stream.
    async fn next_frame(mut self) -> Option<(Result<Bytes, Infallible>, Streaming)> {
        if !self.opened {
            self.opened = true;
            return Some((Ok(Bytes::from_static(b": connected\n\n")), self));
        }
        let frame = tokio::select! {
            _ = &mut self.shutdown => return None,
            next = tokio::time::timeout(self.keepalive, self.follow.next()) => match next {
                Err(_) => Bytes::from_static(b": keep-alive\n\n"),
                Ok(Ok(followed)) => followed.rendered(frame),
                Ok(Err(error)) => {
                    tracing::warn!(%error, "a change stream cannot read the log; closing it");
                    return None;
                }
            },
        };
        Some((Ok(frame), self))
    }
}

/// One event as an SSE frame. The data is split at line breaks (a payload stored with them), each line its own
/// `data:` field, which clients join back with line breaks: the same JSON.
fn frame(event: &LoggedEvent) -> Bytes {
    let change = Change::of(event, false);
    let data = serde_json::to_string(&change).unwrap_or_else(|_| "null".into());
    let mut frame = String::with_capacity(data.len() + change.position.len() + 64);
    frame.push_str("id: ");
    frame.push_str(&change.position);
    frame.push_str("\nevent: ");
    // Stored names are written by the server; a line break in one from elsewhere must not end the field.
    frame.push_str(&change.event.replace(['\r', '\n'], " "));
    frame.push('\n');
    for line in data.lines() {
        frame.push_str("data: ");
        frame.push_str(line);
        frame.push('\n');
    }
    frame.push('\n');
    Bytes::from(frame)
}

impl IntoResponse for ChangeStream {
    fn into_response(self) -> axum::response::Response {
        self.0
    }
}

/// 200 `text/event-stream`, and 503 when too many streams are open.
impl OperationOutput for ChangeStream {
    type Inner = ();

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<StatusCode>, Response)> {
        ensure_response(operation, Some(503), || {
            error_response(
                ctx,
                "Too many change streams are open on this server (OMI_MAX_CHANGE_STREAMS)",
            )
        });
        ensure_response(operation, Some(400), || {
            error_response(
                ctx,
                "The cursor (Last-Event-ID or after) is not one the feed gave",
            )
        });
        let stream = Response {
            description: "Server-sent events: per event `id:` (its cursor), `event:` (its stored name) and \
                          `data:` (the event as `GET /v1/changes` shows it); comments (`: keep-alive`) while \
                          there is nothing to send"
                .into(),
            content: IndexMap::from_iter([(
                "text/event-stream".into(),
                media(json_schema!({"type": "string"})),
            )]),
            ..Default::default()
        };
        vec![(Some(StatusCode::Code(200)), stream)]
    }
}

/// The `Last-Event-ID` request header: the cursor of the last event a reconnecting client received.
pub struct LastEventId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for LastEventId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        match parts.headers.get("last-event-id") {
            None => Ok(LastEventId(None)),
            Some(value) => value
                .to_str()
                .map(|id| LastEventId(Some(id.to_string())))
                .map_err(|_| {
                    ApiError::BadRequest("Invalid cursor: Last-Event-ID is not text".into())
                }),
        }
    }
}

impl OperationInput for LastEventId {
    fn operation_input(_ctx: &mut GenContext, operation: &mut Operation) {
        add_parameters(
            operation,
            vec![Parameter::Header {
                parameter_data: ParameterData {
                    name: "Last-Event-ID".into(),
                    description: Some(
                        "The `id` of the last event received: the stream goes on after it (before `after`)"
                            .into(),
                    ),
                    required: false,
                    deprecated: None,
                    format: ParameterSchemaOrContent::Schema(SchemaObject {
                        json_schema: json_schema!({"type": "string"}),
                        example: None,
                        external_docs: None,
                    }),
                    example: None,
                    examples: IndexMap::new(),
                    explode: None,
                    extensions: IndexMap::new(),
                },
                style: HeaderStyle::Simple,
            }],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omi_store::{EventMetadata, LogPosition};

    #[test]
    fn an_event_frame_names_its_cursor_and_stored_name_and_keeps_the_json_whole() {
        let event = LoggedEvent {
            position: LogPosition {
                transaction: 7,
                global: 9,
            },
            aggregate_type: "Memory".into(),
            aggregate_id: "m1".into(),
            sequence: 2,
            event_type: "MemoryEdited".into(),
            event_version: "1.0".into(),
            payload: "{\"MemoryEdited\":\n  {\"content\": \"two\\nlines\"}}".into(),
            metadata: EventMetadata {
                uid: "ann".into(),
                actor: "user".into(),
                correlation_id: "r1".into(),
                causation_id: None,
            },
            recorded_at: chrono::DateTime::UNIX_EPOCH,
        };
        let text = String::from_utf8(frame(&event).to_vec()).unwrap();
        assert!(text.ends_with("\n\n"), "{text}");
        let cursor = crate::app::changes::encode_cursor(event.position);
        assert!(text.starts_with(&format!("id: {cursor}\nevent: MemoryEdited\n")));
        let data: String = text
            .lines()
            .filter_map(|line| line.strip_prefix("data: "))
            .collect::<Vec<_>>()
            .join("\n");
        let shown: serde_json::Value = serde_json::from_str(&data).unwrap();
        assert_eq!(shown["payload"]["MemoryEdited"]["content"], "two\nlines");
        assert_eq!(shown["position"], cursor.as_str());
        assert!(shown.get("uid").is_none());
    }
}
