//! The operations that describe no schema of their own, kept by hand with their paths, methods and authentication
//! only: today only the `/v4/listen` WebSocket upgrade, whose frames aide cannot describe (spec §4 does). They
//! are in the document so that it lists every operation the server answers; each is marked
//! `x-schemas-pending`, which the black-box response check skips. A test checks that each path registered with
//! a plain `.route(` is listed here, and assembling the document reports an operation that is both generated
//! and listed.

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

use Auth::User;

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
