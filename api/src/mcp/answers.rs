//! What the MCP transports over HTTP ([`super::http`]) take and answer, as the OpenAPI document shows it: the
//! request body is a JSON-RPC 2.0 message or a batch of them, and each handler answers one of the types here,
//! which describes the statuses, media types and headers that handler gives.

use aide::generate::GenContext;
use aide::openapi::{MediaType, Operation, ReferenceOr, RequestBody, Response, StatusCode};
use aide::{OperationInput, OperationOutput};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response as HttpResponse};
use indexmap::IndexMap;
use schemars::{json_schema, Schema};

use crate::error::error_response;
use crate::openapi::{ensure_response, header, json_response, media};

/// A JSON-RPC 2.0 message object: a request (`method`, `params`, `id`), a notification (no `id`) or a
/// response (`result` or `error`, and the `id` it answers).
fn message() -> Schema {
    json_schema!({
        "type": "object",
        "required": ["jsonrpc"],
        "properties": {
            "jsonrpc": {"const": "2.0"},
            "id": {"type": ["string", "integer", "null"]},
            "method": {"type": "string"},
            "params": {"type": "object"},
            "result": {"type": "object"},
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "integer"},
                    "message": {"type": "string"},
                    "data": {}
                }
            }
        }
    })
}

/// One JSON-RPC message, or a batch (an array) of them.
fn messages() -> Schema {
    json_schema!({
        "anyOf": [message(), {"type": "array", "items": message()}]
    })
}

/// Server-sent events: what each event of the stream is.
fn events(description: &str) -> MediaType {
    media(json_schema!({"type": "string", "description": description}))
}

/// The answers of an MCP session: 403 when it belongs to another user, 404 when it is unknown (or ended).
fn session_refusals(ctx: &mut GenContext, operation: &mut Operation) {
    ensure_response(operation, Some(403), || {
        error_response(ctx, "The session belongs to another user")
    });
    ensure_response(operation, Some(404), || {
        error_response(ctx, "No such session; initialize a new one")
    });
}

/// The body POSTed to a transport: JSON-RPC text, read by the handler (text that is not JSON gets a JSON-RPC
/// parse error, 400); 413 when it is too large.
pub struct Messages(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Messages {
    type Rejection = <Bytes as FromRequest<S>>::Rejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(request, state).await.map(Messages)
    }
}

impl OperationInput for Messages {
    fn operation_input(_ctx: &mut GenContext, operation: &mut Operation) {
        operation.request_body = Some(ReferenceOr::Item(RequestBody {
            description: Some("One JSON-RPC 2.0 message, or a batch of them".into()),
            content: IndexMap::from_iter([("application/json".into(), media(messages()))]),
            required: true,
            extensions: IndexMap::new(),
        }));
        ensure_response(operation, Some(413), || Response {
            description: "The body is larger than the server takes (axum's plain-text refusal)"
                .into(),
            content: IndexMap::from_iter([(
                "text/plain".into(),
                media(json_schema!({"type": "string"})),
            )]),
            ..Default::default()
        });
    }
}

/// An answer type: the response as the handler built it, documented by `$describe` (its main status and
/// response; it adds the others to the operation).
macro_rules! answer {
    ($(#[$doc:meta])* $name:ident, $describe:path) => {
        $(#[$doc])*
        pub struct $name(pub HttpResponse);

        impl IntoResponse for $name {
            fn into_response(self) -> HttpResponse {
                self.0
            }
        }

        impl OperationOutput for $name {
            type Inner = ();

            fn inferred_responses(
                ctx: &mut GenContext,
                operation: &mut Operation,
            ) -> Vec<(Option<StatusCode>, Response)> {
                let (status, response) = $describe(ctx, operation);
                vec![(Some(StatusCode::Code(status)), response)]
            }
        }
    };
}

answer!(
    /// The answer to messages POSTed to `/v1/mcp/sse`.
    Replies,
    replies
);
answer!(
    /// The keepalive stream of a Streamable HTTP session, or (without a session) the legacy stream.
    SessionStream,
    session_stream
);
answer!(
    /// The legacy transport's event stream.
    LegacyStream,
    legacy_stream
);
answer!(
    /// The answer to `DELETE /v1/mcp/sse`.
    SessionEnded,
    session_ended
);
answer!(
    /// The answer to a message POSTed to the legacy transport.
    LegacyAccepted,
    legacy_accepted
);

fn replies(ctx: &mut GenContext, operation: &mut Operation) -> (u16, Response) {
    let mut answered = json_response(
        "The answers: JSON, or server-sent events (`event: message` per answer) when the client accepts \
         `text/event-stream`",
        messages(),
    );
    answered.content.insert(
        "text/event-stream".into(),
        events("`event: message` with one JSON-RPC answer as data, per answer"),
    );
    if let ReferenceOr::Item(mut session) = header(
        "The new session, after a successful `initialize`",
        json_schema!({"type": "string"}),
    ) {
        session.required = false;
        answered
            .headers
            .insert("Mcp-Session-Id".into(), ReferenceOr::Item(session));
    }
    ensure_response(operation, Some(202), || Response {
        description: "Only notifications or responses: nothing to answer".into(),
        ..Default::default()
    });
    ensure_response(operation, Some(400), || {
        json_response("A JSON-RPC parse error: the body is not JSON", message())
    });
    session_refusals(ctx, operation);
    (200, answered)
}

fn session_stream(ctx: &mut GenContext, operation: &mut Operation) -> (u16, Response) {
    session_refusals(ctx, operation);
    let (status, mut stream) = legacy_stream(ctx, operation);
    stream.description = "With `Mcp-Session-Id`: the session's stream (`event: ping` every 30 s); \
                          without: the legacy stream"
        .into();
    (status, stream)
}

fn legacy_stream(_ctx: &mut GenContext, _operation: &mut Operation) -> (u16, Response) {
    let stream = Response {
        description:
            "The event stream: first `event: endpoint` (the URL to POST messages to), then \
                      `event: message` per answer and `event: ping` every 30 s"
                .into(),
        content: IndexMap::from_iter([("text/event-stream".into(), events("Server-sent events"))]),
        ..Default::default()
    };
    (200, stream)
}

fn session_ended(ctx: &mut GenContext, operation: &mut Operation) -> (u16, Response) {
    ensure_response(operation, Some(400), || {
        error_response(ctx, "No Mcp-Session-Id header")
    });
    session_refusals(ctx, operation);
    let ended = Response {
        description: "The session is ended".into(),
        ..Default::default()
    };
    (204, ended)
}

fn legacy_accepted(ctx: &mut GenContext, operation: &mut Operation) -> (u16, Response) {
    ensure_response(operation, Some(400), || {
        let mut refused = error_response(ctx, "No session_id, or a body that is not JSON");
        if let Some(error) = refused.content.get_mut("application/json") {
            if let Some(schema) = error.schema.as_mut() {
                let detail = schema.json_schema.clone();
                schema.json_schema = json_schema!({"anyOf": [detail, message()]});
            }
        }
        refused
    });
    session_refusals(ctx, operation);
    let accepted = Response {
        description: "Accepted: the answers arrive on the session's event stream".into(),
        content: IndexMap::from_iter([(
            "text/plain".into(),
            media(json_schema!({"const": "Accepted"})),
        )]),
        ..Default::default()
    };
    (202, accepted)
}
