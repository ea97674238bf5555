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

use Auth::{Public, User};

/// The operations of the routers not converted yet.
pub const OPERATIONS: &[Operation] = &[
    // Action items
    op(
        "get",
        "/v1/action-items",
        "action items",
        "List action items with filters and has_more",
        User,
    ),
    op(
        "post",
        "/v1/action-items",
        "action items",
        "Create an action item",
        User,
    ),
    op(
        "post",
        "/v1/action-items/batch",
        "action items",
        "Create several action items",
        User,
    ),
    op(
        "get",
        "/v1/action-items/{id}",
        "action items",
        "Get an action item",
        User,
    ),
    op(
        "patch",
        "/v1/action-items/{id}",
        "action items",
        "Update an action item (null due_at clears it)",
        User,
    ),
    op(
        "put",
        "/v1/action-items/{id}",
        "action items",
        "Update an action item",
        User,
    ),
    op(
        "delete",
        "/v1/action-items/{id}",
        "action items",
        "Delete an action item",
        User,
    ),
    op(
        "patch",
        "/v1/action-items/{id}/completed",
        "action items",
        "Complete or reopen (?completed=bool)",
        User,
    ),
    // Conversations
    op(
        "get",
        "/v1/conversations",
        "conversations",
        "List conversations, newest first",
        User,
    ),
    op(
        "post",
        "/v1/conversations",
        "conversations",
        "Close and process the in-progress conversation",
        User,
    ),
    op(
        "post",
        "/v1/conversations/from-segments",
        "conversations",
        "Import a conversation from transcript segments",
        User,
    ),
    op(
        "post",
        "/v1/conversations/from-text",
        "conversations",
        "Import a conversation from text",
        User,
    ),
    op(
        "post",
        "/v1/conversations/merge",
        "conversations",
        "Merge conversations into a new one",
        User,
    ),
    op(
        "get",
        "/v1/conversations/{id}",
        "conversations",
        "Get a conversation with its transcript",
        User,
    ),
    op(
        "delete",
        "/v1/conversations/{id}",
        "conversations",
        "Delete a conversation",
        User,
    ),
    op(
        "post",
        "/v1/conversations/{id}/reprocess",
        "conversations",
        "Process a conversation again",
        User,
    ),
    op(
        "patch",
        "/v1/conversations/{id}/title",
        "conversations",
        "Rename (?title=)",
        User,
    ),
    op(
        "patch",
        "/v1/conversations/{id}/overview",
        "conversations",
        "Edit the overview",
        User,
    ),
    op(
        "patch",
        "/v1/conversations/{id}/segments/{segment}/text",
        "conversations",
        "Edit a segment's text",
        User,
    ),
    op(
        "patch",
        "/v1/conversations/{id}/segments/{segment}/assign",
        "conversations",
        "Assign a segment to the user or a person",
        User,
    ),
    op(
        "patch",
        "/v1/conversations/{id}/segments/assign-bulk",
        "conversations",
        "Assign several segments",
        User,
    ),
    op(
        "patch",
        "/v1/conversations/{id}/assign-speaker/{speaker_id}",
        "conversations",
        "Assign every segment of a speaker",
        User,
    ),
    op(
        "patch",
        "/v1/conversations/{id}/events",
        "conversations",
        "Mark events as added to the calendar",
        User,
    ),
    op(
        "get",
        "/v1/conversations/{id}/action-items",
        "conversations",
        "The conversation's standalone action items",
        User,
    ),
    op(
        "patch",
        "/v1/conversations/{id}/action-items",
        "conversations",
        "Complete embedded action items",
        User,
    ),
    op(
        "delete",
        "/v1/conversations/{id}/action-items",
        "conversations",
        "Remove embedded action items by description",
        User,
    ),
    op(
        "patch",
        "/v1/conversations/{id}/action-items/{index}",
        "conversations",
        "Rename an embedded action item",
        User,
    ),
    op(
        "patch",
        "/v1/conversations/{id}/visibility",
        "conversations",
        "Private, shared or public (?value=)",
        User,
    ),
    op(
        "get",
        "/v1/conversations/{id}/shared",
        "conversations",
        "Read a shared conversation",
        Public,
    ),
    op(
        "get",
        "/v1/public-conversations",
        "conversations",
        "Shared and public conversations",
        Public,
    ),
    op(
        "patch",
        "/v1/conversations/{id}/starred",
        "conversations",
        "Star or unstar (?starred=bool)",
        User,
    ),
    op(
        "patch",
        "/v1/conversations/{id}/folder",
        "conversations",
        "Move to a folder",
        User,
    ),
    op(
        "get",
        "/v1/conversations/{id}/photos",
        "conversations",
        "Photos (none are captured yet)",
        User,
    ),
    op(
        "get",
        "/v1/conversations/{id}/recording",
        "conversations",
        "Whether audio is stored",
        User,
    ),
    op(
        "get",
        "/v4/listen",
        "live capture",
        "WebSocket: stream audio or transcripts, receive live segments",
        User,
    ),
    // Keys
    op("get", "/v1/dev/keys", "keys", "List developer keys", User),
    op(
        "post",
        "/v1/dev/keys",
        "keys",
        "Create a developer key (shown once)",
        User,
    ),
    op(
        "delete",
        "/v1/dev/keys/{key_id}",
        "keys",
        "Revoke a developer key",
        User,
    ),
    op("get", "/v1/mcp/keys", "keys", "List MCP keys", User),
    op(
        "post",
        "/v1/mcp/keys",
        "keys",
        "Create an MCP key (shown once)",
        User,
    ),
    op(
        "delete",
        "/v1/mcp/keys/{key_id}",
        "keys",
        "Revoke an MCP key",
        User,
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
        let rename = OPERATIONS
            .iter()
            .find(|o| o.path == "/v1/conversations/{id}/action-items/{index}")
            .map(describe)
            .unwrap();
        assert_eq!(rename["parameters"].as_array().unwrap().len(), 2);
        assert_eq!(rename["x-schemas-pending"], true);
    }
}
