//! TEMPORARY: the operations of the routers not yet converted to `ApiRouter`/`api_route`, kept by hand with their
//! paths, methods and authentication only (no body, parameter or response schema). They are in the document so
//! that it lists every operation the server answers until each router describes itself; each is marked
//! `x-schemas-pending`, which the black-box response check skips. A test checks that each path registered with
//! a plain `.route(` is listed here, and assembling the document reports an operation that is both generated
//! and listed: converting a route means deleting its entry here.

use serde_json::{json, Value};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// A user token (local or Firebase).
    User,
    /// An `omi_dev_` developer key.
    DeveloperKey,
    /// An `omi_mcp_` key (Bearer or bare).
    McpKey,
    /// Nobody needs to authenticate.
    Public,
}

/// One documented operation.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub auth: Auth,
}

const fn op(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    auth: Auth,
) -> Operation {
    Operation {
        method,
        path,
        tag,
        summary,
        auth,
    }
}

use Auth::{DeveloperKey, McpKey, Public, User};

/// The operations of the routers not converted yet.
pub const OPERATIONS: &[Operation] = &[
    // Live capture. A WebSocket upgrade: aide 0.16 describes HTTP request and response bodies, not the
    // messages of a WebSocket, so the route stays listed by hand (its frames are described in the API reference,
    // spec §4).
    op(
        "get",
        "/v4/listen",
        "live capture",
        "WebSocket: stream audio or transcripts, receive live segments",
        User,
    ),
    // Developer API
    op(
        "get",
        "/v1/dev/user/memories",
        "developer",
        "List memories",
        DeveloperKey,
    ),
    op(
        "post",
        "/v1/dev/user/memories",
        "developer",
        "Create a memory (category detected when omitted)",
        DeveloperKey,
    ),
    op(
        "post",
        "/v1/dev/user/memories/batch",
        "developer",
        "Create up to 25 memories",
        DeveloperKey,
    ),
    op(
        "patch",
        "/v1/dev/user/memories/{id}",
        "developer",
        "Edit a memory's content, visibility, tags or category",
        DeveloperKey,
    ),
    op(
        "delete",
        "/v1/dev/user/memories/{id}",
        "developer",
        "Delete a memory",
        DeveloperKey,
    ),
    op(
        "get",
        "/v1/dev/user/action-items",
        "developer",
        "List action items (conversation_id, completed, start_date, end_date)",
        DeveloperKey,
    ),
    op(
        "post",
        "/v1/dev/user/action-items",
        "developer",
        "Create an action item",
        DeveloperKey,
    ),
    op(
        "post",
        "/v1/dev/user/action-items/batch",
        "developer",
        "Create up to 50 action items",
        DeveloperKey,
    ),
    op(
        "patch",
        "/v1/dev/user/action-items/{id}",
        "developer",
        "Edit an action item (null due_at clears it)",
        DeveloperKey,
    ),
    op(
        "delete",
        "/v1/dev/user/action-items/{id}",
        "developer",
        "Delete an action item",
        DeveloperKey,
    ),
    op(
        "get",
        "/v1/dev/user/conversations",
        "developer",
        "List completed conversations (dates, categories, include_transcript)",
        DeveloperKey,
    ),
    op(
        "post",
        "/v1/dev/user/conversations",
        "developer",
        "Import a conversation from text; answers once processed",
        DeveloperKey,
    ),
    op(
        "post",
        "/v1/dev/user/conversations/from-segments",
        "developer",
        "Import a conversation from transcript segments; answers once processed",
        DeveloperKey,
    ),
    op(
        "get",
        "/v1/dev/user/conversations/{id}",
        "developer",
        "Get a conversation (include_transcript)",
        DeveloperKey,
    ),
    op(
        "patch",
        "/v1/dev/user/conversations/{id}",
        "developer",
        "Rename or (un)discard a conversation",
        DeveloperKey,
    ),
    op(
        "delete",
        "/v1/dev/user/conversations/{id}",
        "developer",
        "Delete a conversation",
        DeveloperKey,
    ),
    // MCP
    op(
        "get",
        "/v1/mcp/memories",
        "mcp",
        "List memories (MCP REST data API)",
        McpKey,
    ),
    op(
        "post",
        "/v1/mcp/memories",
        "mcp",
        "Create a memory (category detected)",
        McpKey,
    ),
    op(
        "patch",
        "/v1/mcp/memories/{id}",
        "mcp",
        "Replace a memory's content (?value=)",
        McpKey,
    ),
    op(
        "delete",
        "/v1/mcp/memories/{id}",
        "mcp",
        "Delete a memory",
        McpKey,
    ),
    op(
        "get",
        "/v1/mcp/conversations",
        "mcp",
        "List completed conversations",
        McpKey,
    ),
    op(
        "get",
        "/v1/mcp/conversations/{id}",
        "mcp",
        "Get a conversation with its transcript",
        McpKey,
    ),
    op(
        "post",
        "/v1/mcp/sse",
        "mcp",
        "MCP Streamable HTTP: JSON-RPC requests (single or batch)",
        McpKey,
    ),
    op(
        "get",
        "/v1/mcp/sse",
        "mcp",
        "MCP Streamable HTTP: the server's event stream (legacy stream without a session)",
        McpKey,
    ),
    op(
        "delete",
        "/v1/mcp/sse",
        "mcp",
        "MCP Streamable HTTP: end a session (Mcp-Session-Id)",
        McpKey,
    ),
    op(
        "get",
        "/v1/mcp/sse/legacy",
        "mcp",
        "MCP HTTP+SSE (2024-11-05): the event stream",
        McpKey,
    ),
    op(
        "post",
        "/v1/mcp/messages",
        "mcp",
        "MCP HTTP+SSE (2024-11-05): post a message (?session_id=)",
        McpKey,
    ),
    op(
        "get",
        "/v1/mcp/sse/info",
        "mcp",
        "How to connect an MCP client",
        Public,
    ),
];

/// The operation as the hand list can describe it: tag, summary, path parameters as strings, security and
/// generic responses, marked `x-schemas-pending`.
pub(super) fn describe(operation: &Operation) -> Value {
    let parameters: Vec<Value> = super::document::template_names(operation.path)
        .into_iter()
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    let security = match operation.auth {
        Auth::User => json!([{"userToken": []}]),
        Auth::DeveloperKey => json!([{"developerKey": []}]),
        Auth::McpKey => json!([{"mcpKey": []}]),
        Auth::Public => json!([]),
    };
    let error = json!({"description": "The request failed: {\"detail\": ...}", "content": {"application/json": {}}});
    let mut responses = json!({
        "200": {"description": "Success", "content": {"application/json": {}}},
        "404": error,
        "422": error,
    });
    if operation.auth != Auth::Public {
        responses["401"] = error.clone();
        responses["403"] = error.clone();
    }
    if matches!(operation.auth, Auth::DeveloperKey | Auth::McpKey) {
        responses["429"] = error.clone();
    }
    json!({
        "tags": [operation.tag],
        "summary": operation.summary,
        "parameters": parameters,
        "security": security,
        "responses": responses,
        "x-schemas-pending": true,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// Every path passed to a plain `.route(` in the routers: routes that do not describe themselves (not in
    /// test servers, in the sign-in pages of `auth/`, or in `openapi/`, whose `.route(`s serve the docs' assets).
    fn plain_routes() -> BTreeSet<String> {
        let skipped = |path: &Path| {
            path.components()
                .any(|c| c.as_os_str() == "auth" || c.as_os_str() == "openapi")
        };
        let mut found = BTreeSet::new();
        let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !skipped(&path) {
                    let source = std::fs::read_to_string(&path).unwrap();
                    for piece in source.split(".route(").skip(1) {
                        if let Some(rest) = piece.trim_start().strip_prefix('"') {
                            if let Some(end) = rest.find('"') {
                                found.insert(rest[..end].to_string());
                            }
                        }
                    }
                }
            }
        }
        found
    }

    #[test]
    fn every_route_that_does_not_describe_itself_is_listed() {
        let listed: BTreeSet<&str> = OPERATIONS.iter().map(|o| o.path).collect();
        let missing: Vec<String> = plain_routes()
            .into_iter()
            .filter(|path| !listed.contains(path.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "routes neither added with api_route nor in the pending list: {missing:?}"
        );
    }

    #[test]
    fn each_pending_operation_is_listed_once() {
        let mut seen = BTreeSet::new();
        for operation in OPERATIONS {
            assert!(
                seen.insert((operation.method, operation.path)),
                "{} {} is listed twice",
                operation.method,
                operation.path
            );
        }
        for operation in OPERATIONS {
            let described = describe(operation);
            assert_eq!(
                described["parameters"].as_array().unwrap().len(),
                operation.path.matches('{').count(),
                "{} {}",
                operation.method,
                operation.path
            );
            assert_eq!(described["x-schemas-pending"], true);
        }
    }
}
