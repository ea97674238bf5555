//! The OpenAPI document at `/openapi.json` and the interactive documentation at `/docs`, both served from the
//! binary (no CDN).

mod routes;

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

pub use routes::{Auth, Operation, OPERATIONS};

use crate::state::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/docs", get(docs))
}

async fn openapi() -> impl IntoResponse {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    Json(DOCUMENT.get_or_init(document).clone())
}

async fn docs() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Html(include_str!("docs.html")),
    )
}

/// The OpenAPI 3.1 document of every operation.
pub fn document() -> Value {
    let mut paths = Map::new();
    for operation in OPERATIONS {
        let entry = paths.entry(operation.path).or_insert_with(|| json!({}));
        entry[operation.method] = describe(operation);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "omi-server",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "An Omi-compatible backend in which every change is an event. Errors are always \
                {\"detail\": ...}; validation errors are 422 with a list of problems.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "userToken": {"type": "http", "scheme": "bearer", "description": "A local token (`omi-server token --uid U`) or a Firebase ID token"},
                "developerKey": {"type": "http", "scheme": "bearer", "description": "An `omi_dev_` key from POST /v1/dev/keys"},
                "mcpKey": {"type": "http", "scheme": "bearer", "description": "An `omi_mcp_` key from POST /v1/mcp/keys (the bare key works too)"},
            },
            "schemas": {
                "Error": {"type": "object", "required": ["detail"], "properties": {"detail": {}}},
                "ValidationError": {
                    "type": "object",
                    "properties": {"detail": {"type": "array", "items": {
                        "type": "object",
                        "properties": {"loc": {"type": "array", "items": {"type": "string"}}, "msg": {"type": "string"}, "type": {"type": "string"}},
                    }}},
                },
            },
            "responses": {
                "Error": {"description": "The request failed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "Invalid": {"description": "Invalid input", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}},
            },
        },
    })
}

fn describe(operation: &Operation) -> Value {
    let parameters: Vec<Value> = operation
        .path
        .split('/')
        .filter_map(|part| part.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    let security = match operation.auth {
        Auth::User => json!([{"userToken": []}]),
        Auth::DeveloperKey => json!([{"developerKey": []}]),
        Auth::McpKey => json!([{"mcpKey": []}]),
        Auth::Public => json!([]),
    };
    let mut responses = json!({
        "200": {"description": "Success", "content": {"application/json": {}}},
        "404": {"$ref": "#/components/responses/Error"},
        "422": {"$ref": "#/components/responses/Invalid"},
    });
    if operation.auth != Auth::Public {
        responses["401"] = json!({"$ref": "#/components/responses/Error"});
        responses["403"] = json!({"$ref": "#/components/responses/Error"});
    }
    if matches!(operation.auth, Auth::DeveloperKey | Auth::McpKey) {
        responses["429"] = json!({"$ref": "#/components/responses/Error"});
    }
    let operation_id = format!(
        "{}_{}",
        operation.method,
        operation
            .path
            .trim_matches('/')
            .replace(['/', '-', '.'], "_")
            .replace(['{', '}'], "")
    );
    json!({
        "tags": [operation.tag],
        "summary": operation.summary,
        "operationId": operation_id,
        "parameters": parameters,
        "security": security,
        "responses": responses,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// Every path string passed to `.route(` in the routers (not in test servers or in this file).
    fn registered_paths() -> BTreeSet<String> {
        let skipped = |path: &Path| {
            path.ends_with("openapi/mod.rs") || path.components().any(|c| c.as_os_str() == "auth")
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
                        let piece = piece.trim_start();
                        if let Some(rest) = piece.strip_prefix('"') {
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
    fn every_registered_path_is_documented() {
        let documented: BTreeSet<&str> = OPERATIONS.iter().map(|o| o.path).collect();
        let missing: Vec<String> = registered_paths()
            .into_iter()
            .filter(|path| !documented.contains(path.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "routes missing from the OpenAPI document: {missing:?}"
        );
    }

    #[test]
    fn the_document_lists_each_operation_once_with_its_parameters() {
        let document = document();
        let operations: usize = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(operations, OPERATIONS.len(), "an operation is listed twice");
        let rename = &document["paths"]["/v1/conversations/{id}/action-items/{index}"]["patch"];
        assert_eq!(rename["parameters"].as_array().unwrap().len(), 2);
        assert_eq!(document["paths"]["/health"]["get"]["security"], json!([]));
    }
}
