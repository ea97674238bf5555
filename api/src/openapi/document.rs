//! Assembling the document from the routers: aide collects each operation as its route is added, from the
//! handler's extractors (body, query, path, authentication) and return type (the answer and `ApiError`); this
//! module sets the generation up, adds what no handler says (title, security schemes, operation ids, the names of
//! path parameters known by position), adds the operations of routers not converted yet ([`super::pending`]), and
//! reports what does not hold together.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use aide::axum::ApiRouter;
use aide::generate::{self, in_context};
use aide::openapi::{Info, OpenApi};
use axum::body::Bytes;
use axum::Router;
use schemars::generate::SchemaSettings;
use schemars::SchemaGenerator;
use serde_json::{json, Map, Value};

use super::describe::POSITION;
use super::pending;
use crate::state::AppState;

/// The HTTP methods an OpenAPI path item may hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The routes and their document.
pub struct Assembled {
    pub router: Router<AppState>,
    /// The OpenAPI 3.1 document.
    pub document: Value,
    /// What does not hold together (an operation listed twice, a path parameter without a name, …); empty in
    /// a correct build, which a test checks.
    pub problems: Vec<String>,
}

/// Builds the routes with `build`, plus `/openapi.json` and `/docs`, and the document of those added with
/// `api_route`.
pub fn assemble(build: impl FnOnce() -> ApiRouter<AppState>) -> Assembled {
    let problems = Rc::new(RefCell::new(Vec::new()));
    generate::reset_context();
    in_context(|ctx| {
        // Answers are described as serde writes them (a field skipped when empty is optional, …); inputs
        // use the Deserialize contract on their own (see `describe::input_schema`).
        let settings = SchemaSettings::draft07()
            .for_serialize()
            .with(|settings| {
                settings.inline_subschemas = false;
                settings.definitions_path = "#/components/schemas/".into();
            })
            .with_transform(super::describe::no_bool_schemas());
        ctx.schema = SchemaGenerator::new(settings);
    });
    let reported = problems.clone();
    generate::on_error(move |error| reported.borrow_mut().push(error.to_string()));
    let mut api = OpenApi {
        info: Info {
            title: "omi-server".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: Some(
                "An Omi-compatible backend in which every change is an event. Errors are always \
                 {\"detail\": ...}; validation errors are 422 with a list of problems."
                    .into(),
            ),
            ..Info::default()
        },
        ..OpenApi::default()
    };
    let served = Arc::new(OnceLock::new());
    let router = build()
        .merge(super::router(served.clone()))
        .finish_api(&mut api);
    generate::reset_context();
    let mut problems = problems.take();
    let mut document = match serde_json::to_value(&api) {
        Ok(document) => document,
        Err(error) => {
            problems.push(format!("the document cannot be written: {error}"));
            json!({})
        }
    };
    finish(&mut document, &mut problems);
    let text = serde_json::to_vec(&document).unwrap_or_default();
    let _ = served.set(Bytes::from(text));
    Assembled {
        router,
        document,
        problems,
    }
}

/// Adds the security schemes, the operations not converted yet and the operation ids, names positional path
/// parameters, and checks every operation's path parameters against its template.
fn finish(document: &mut Value, problems: &mut Vec<String>) {
    document["components"]["securitySchemes"] = json!({
        "userToken": {"type": "http", "scheme": "bearer", "description": "A local token (`omi-server token --uid U`) or a Firebase ID token"},
        "developerKey": {"type": "http", "scheme": "bearer", "description": "An `omi_dev_` key from POST /v1/dev/keys"},
        "mcpKey": {"type": "http", "scheme": "bearer", "description": "An `omi_mcp_` key from POST /v1/mcp/keys (the bare key works too)"},
        "adminSecret": {"type": "apiKey", "in": "header", "name": "secret-key", "description": "The server's ADMIN_KEY, for operators' routes"},
        "appKey": {"type": "http", "scheme": "bearer", "description": "An app's `sk_` key from POST /v1/apps/{app_id}/keys"},
    });
    if !document["paths"].is_object() {
        document["paths"] = json!({});
    }
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for operation in pending::OPERATIONS {
        let item = paths.entry(operation.path).or_insert_with(|| json!({}));
        if item.get(operation.method).is_some() {
            problems.push(format!(
                "{} {} is generated and still in the pending list",
                operation.method, operation.path
            ));
        } else {
            item[operation.method] = pending::describe(operation);
        }
    }
    for (path, item) in paths.iter_mut() {
        let names = template_names(path);
        for method in METHODS {
            if let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) {
                operation
                    .entry("operationId")
                    .or_insert_with(|| operation_id(method, path).into());
                name_path_parameters(operation, &names, &format!("{method} {path}"), problems);
                describe_answers(operation);
            }
        }
    }
}

/// Gives a response that its type did not describe (a list, a string) a description, which OpenAPI requires.
fn describe_answers(operation: &mut Map<String, Value>) {
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (status, response) in responses.iter_mut() {
        if response["description"].as_str().is_none_or(str::is_empty) {
            response["description"] = Value::from(if status.starts_with('2') {
                "Success"
            } else {
                "The request failed"
            });
        }
    }
}

/// The names of the `{parameters}` of a route template, in order.
pub(crate) fn template_names(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|part| part.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
        .collect()
}

/// `get_v1_memories_id`: the method and the path with its punctuation turned into `_`.
pub(crate) fn operation_id(method: &str, path: &str) -> String {
    format!(
        "{method}_{}",
        path.trim_matches('/')
            .replace(['/', '-', '.'], "_")
            .replace(['{', '}'], "")
    )
}

/// Names the path parameters known by position after the template's names, and checks that the operation
/// declares each of the template's parameters once and no other.
fn name_path_parameters(
    operation: &mut Map<String, Value>,
    names: &[&str],
    label: &str,
    problems: &mut Vec<String>,
) {
    let parameters = operation.entry("parameters").or_insert_with(|| json!([]));
    let Some(parameters) = parameters.as_array_mut() else {
        problems.push(format!("{label}: parameters is not a list"));
        return;
    };
    let mut declared = Vec::new();
    for parameter in parameters.iter_mut().filter(|p| p["in"] == "path") {
        if let Some(position) = parameter.get(POSITION).and_then(Value::as_u64) {
            match names.get(position as usize) {
                Some(name) => parameter["name"] = Value::from(*name),
                None => problems.push(format!(
                    "{label}: its path extractor reads {} values, the template has {}",
                    position + 1,
                    names.len()
                )),
            }
            if let Some(parameter) = parameter.as_object_mut() {
                parameter.remove(POSITION);
            }
        }
        declared.push(parameter["name"].as_str().unwrap_or_default().to_string());
    }
    let mut sorted = declared.clone();
    sorted.sort();
    let mut expected: Vec<String> = names.iter().map(|name| name.to_string()).collect();
    expected.sort();
    if sorted != expected {
        problems.push(format!(
            "{label}: the path parameters {declared:?} do not match the template's {names:?}"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_path_parameters_take_the_template_names() {
        let mut operation = json!({"parameters": [
            {"in": "path", "name": "{0}", "required": true, "schema": {"type": "string"}, POSITION: 0},
            {"in": "path", "name": "{1}", "required": true, "schema": {"type": "integer"}, POSITION: 1},
            {"in": "query", "name": "limit", "schema": {"type": "integer"}},
        ]});
        let mut problems = Vec::new();
        name_path_parameters(
            operation.as_object_mut().unwrap(),
            &["id", "index"],
            "patch /x/{id}/{index}",
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(operation["parameters"][0]["name"], "id");
        assert_eq!(operation["parameters"][1]["name"], "index");
        assert!(operation["parameters"][1].get(POSITION).is_none());
    }

    #[test]
    fn a_template_parameter_without_an_extractor_is_a_problem() {
        let mut operation = json!({});
        let mut problems = Vec::new();
        name_path_parameters(
            operation.as_object_mut().unwrap(),
            &["id"],
            "get /x/{id}",
            &mut problems,
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        let mut operation = json!({"parameters": [
            {"in": "path", "name": "{0}", "required": true, "schema": {}, POSITION: 0},
            {"in": "path", "name": "{1}", "required": true, "schema": {}, POSITION: 1},
        ]});
        let mut problems = Vec::new();
        name_path_parameters(
            operation.as_object_mut().unwrap(),
            &["id"],
            "get /x/{id}",
            &mut problems,
        );
        assert!(!problems.is_empty());
    }

    #[test]
    fn operation_ids_come_from_the_method_and_the_path() {
        assert_eq!(
            operation_id("patch", "/v1/conversations/{id}/action-items/{index}"),
            "patch_v1_conversations_id_action_items_index"
        );
        assert_eq!(operation_id("get", "/openapi.json"), "get_openapi_json");
    }
}

/// A server state on a fresh SQLite store in a temporary directory, for tests that build routers; the
/// directory is removed by [`ScratchState`]'s drop.
#[cfg(test)]
pub(crate) struct ScratchState {
    pub state: AppState,
    dir: std::path::PathBuf,
}

#[cfg(test)]
impl ScratchState {
    pub(crate) async fn new() -> ScratchState {
        let dir = std::env::temp_dir().join(format!("omi-openapi-{}", uuid::Uuid::new_v4()));
        let config = crate::config::Config::from_lookup(|name| {
            (name == "OMI_DATA_DIR").then(|| dir.to_string_lossy().into_owned())
        })
        .expect("the default settings");
        let state = crate::server::state(config).await.expect("a fresh store");
        ScratchState { state, dir }
    }
}

#[cfg(test)]
impl Drop for ScratchState {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod built {
    use super::ScratchState;

    /// The document of the real routers: built without a problem, every operation with an id and a response,
    /// every generated one with schemas.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_document_of_the_routers_holds_together() {
        let scratch = ScratchState::new().await;
        let assembled = crate::routes::documented(scratch.state.clone());
        scratch.state.database.close().await;
        assert!(assembled.problems.is_empty(), "{:#?}", assembled.problems);
        let document = &assembled.document;
        assert_eq!(document["openapi"], "3.1.0");
        let mut generated = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                assert!(operation["operationId"].is_string(), "{method} {path}");
                assert!(operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()));
                if operation.get("x-schemas-pending").is_none() {
                    generated += 1;
                    let responses = operation["responses"].as_object().unwrap();
                    for (status, response) in responses {
                        for (media, content) in
                            response["content"].as_object().into_iter().flatten()
                        {
                            assert!(
                                content.get("schema").is_some(),
                                "{method} {path} {status} {media}: no schema"
                            );
                        }
                    }
                }
            }
        }
        assert!(generated >= 16, "{generated} generated operations");
        let version = &document["components"]["schemas"]["MemoryVersion"];
        assert_eq!(
            version["properties"]["changes"],
            serde_json::json!({}),
            "no boolean schema"
        );
        let memory = &document["components"]["schemas"]["MemoryView"];
        assert_eq!(memory["properties"]["created_at"]["format"], "date-time");
        let history = &document["paths"]["/v1/memories/{id}/history"]["get"];
        assert_eq!(history["parameters"][0]["name"], "id");
        assert_eq!(history["security"][0]["userToken"], serde_json::json!([]));
        assert_eq!(document["paths"]["/health"]["get"].get("security"), None);
        let create = &document["paths"]["/v1/memories"]["post"];
        assert_eq!(create["requestBody"]["required"], true);
        let body = &create["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(body["required"], serde_json::json!(["content"]));
        for status in ["200", "401", "413", "422", "default"] {
            assert!(create["responses"].get(status).is_some(), "no {status}");
        }
        let listed = &document["paths"]["/v3/memories"]["get"]["parameters"];
        let categories = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "categories");
        assert_eq!(categories.unwrap()["explode"], true);
    }
}
