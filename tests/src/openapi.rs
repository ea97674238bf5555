//! Checking answers against the server's own OpenAPI document: [`ApiDocument::validate_response`] validates one
//! JSON answer against the schema the document gives for its operation and status, and [`ResponseCheck`] does
//! so for every answer a test's [`crate::HttpClient`] receives (fetching `/openapi.json` once per server).
//!
//! Operations marked `x-schemas-pending` (routers not yet converted to describe themselves) are skipped, as are
//! requests that match no documented operation (unknown paths, methods a path does not have).

use serde_json::Value;
use tokio::sync::OnceCell;

use crate::client::Response;
use crate::schema;

/// With `OMI_TEST_CHECK_RESPONSES=0`, answers are not checked against the document.
pub const CHECK_RESPONSES_VAR: &str = "OMI_TEST_CHECK_RESPONSES";

/// An OpenAPI document fetched from a server.
#[derive(Debug, Clone)]
pub struct ApiDocument {
    document: Value,
}

/// What checking one answer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// The answer fits its documented schema.
    Valid,
    /// Nothing to check: no documented operation, an operation still pending, or no JSON schema for the body.
    Skipped(String),
}

impl ApiDocument {
    pub fn new(document: Value) -> ApiDocument {
        ApiDocument { document }
    }

    /// The document itself.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The template of the documented path `path` (without its query) matches, preferring the one with the most
    /// literal segments (`/v3/memories/batch` over `/v3/memories/{id}`).
    pub fn template_of(&self, path: &str) -> Option<&str> {
        let segments: Vec<&str> = path.split('/').collect();
        self.document["paths"]
            .as_object()?
            .keys()
            .filter_map(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                if parts.len() != segments.len() {
                    return None;
                }
                let mut literal = 0;
                for (part, segment) in parts.iter().zip(&segments) {
                    if part.starts_with('{') && part.ends_with('}') {
                        if segment.is_empty() {
                            return None;
                        }
                    } else if part == segment {
                        literal += 1;
                    } else {
                        return None;
                    }
                }
                Some((literal, template.as_str()))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, template)| template)
    }

    /// The operation `method` (`get`, `POST`, …) of `template`.
    pub fn operation(&self, method: &str, template: &str) -> Option<&Value> {
        self.document["paths"]
            .get(template)?
            .get(method.to_ascii_lowercase())
    }

    /// Validates `body` (a JSON answer) against the schema of operation `method template` for `status` (or its
    /// `default` response). `Err` lists the problems: an undocumented status, a body that is not JSON where JSON
    /// is documented, or the places where the body breaks the schema.
    pub fn validate_response(
        &self,
        method: &str,
        template: &str,
        status: u16,
        body: &Value,
    ) -> Result<Checked, Vec<String>> {
        let Some(operation) = self.operation(method, template) else {
            return Ok(Checked::Skipped(format!(
                "{method} {template} is not documented"
            )));
        };
        if operation.get("x-schemas-pending") == Some(&Value::Bool(true)) {
            return Ok(Checked::Skipped(format!("{method} {template} is pending")));
        }
        let responses = &operation["responses"];
        let Some(response) = responses
            .get(status.to_string())
            .or_else(|| responses.get("default"))
        else {
            return Err(vec![format!("status {status} is not documented")]);
        };
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return match body {
                Value::Null => Ok(Checked::Valid),
                _ => Err(vec![format!(
                    "status {status} is documented without a body"
                )]),
            };
        };
        let Some(schema) = content
            .get("application/json")
            .and_then(|media| media.get("schema"))
        else {
            return Ok(Checked::Skipped(format!(
                "status {status} has no JSON schema"
            )));
        };
        let problems = schema::validate(schema, body, &self.document);
        if problems.is_empty() {
            Ok(Checked::Valid)
        } else {
            Err(problems)
        }
    }

    /// Checks a received answer: its path is matched to a template and its body validated when the document
    /// has a JSON schema for it.
    pub fn check(&self, response: &Response) -> Result<Checked, Vec<String>> {
        let path = reqwest::Url::parse(&response.url)
            .map(|url| url.path().to_string())
            .unwrap_or_default();
        let Some(template) = self.template_of(&path) else {
            return Ok(Checked::Skipped(format!(
                "{path} matches no documented path"
            )));
        };
        let documented_json = self
            .operation(response.method.as_str(), template)
            .and_then(|operation| operation["responses"].as_object())
            .is_some_and(|responses| {
                responses
                    .values()
                    .any(|r| r["content"].get("application/json").is_some())
            });
        let is_json = response
            .header("content-type")
            .is_some_and(|kind| kind.starts_with("application/json"));
        if documented_json && !is_json && !response.text.is_empty() && response.json.is_null() {
            // A text answer where JSON is documented is validated as the string it is (and refused).
            let text = Value::String(response.text.clone());
            return self.validate_response(
                response.method.as_str(),
                template,
                response.status,
                &text,
            );
        }
        self.validate_response(
            response.method.as_str(),
            template,
            response.status,
            &response.json,
        )
    }
}

/// Checks every answer a client receives against the server's document, fetched on first use.
#[derive(Debug, Default)]
pub struct ResponseCheck {
    document: OnceCell<ApiDocument>,
}

impl ResponseCheck {
    /// A check, unless `OMI_TEST_CHECK_RESPONSES=0`.
    pub fn from_env() -> Option<ResponseCheck> {
        let off = std::env::var(CHECK_RESPONSES_VAR).is_ok_and(|value| value == "0");
        (!off).then(ResponseCheck::default)
    }

    /// The document of the server at `base_url`, fetched once.
    ///
    /// # Panics
    /// When `/openapi.json` cannot be fetched or is not JSON.
    pub async fn document(&self, http: &reqwest::Client, base_url: &str) -> &ApiDocument {
        self.document
            .get_or_init(|| async {
                let url = format!("{base_url}/openapi.json");
                let answer = match http.get(&url).send().await {
                    Ok(answer) => answer,
                    Err(error) => panic!("GET {url} for the response check: {error}"),
                };
                match answer.json::<Value>().await {
                    Ok(document) => ApiDocument::new(document),
                    Err(error) => panic!("GET {url} for the response check: not JSON: {error}"),
                }
            })
            .await
    }

    /// Panics, naming the request and the problems, when `response` breaks the document.
    pub async fn verify(&self, http: &reqwest::Client, base_url: &str, response: &Response) {
        let document = self.document(http, base_url).await;
        if let Err(problems) = document.check(response) {
            panic!(
                "{} {} answered {} in a way its OpenAPI document does not describe:\n  {}\nbody: {}",
                response.method,
                response.url,
                response.status,
                problems.join("\n  "),
                response.text
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document() -> ApiDocument {
        ApiDocument::new(json!({"paths": {
            "/v3/memories/{id}": {"delete": {"responses": {
                "200": {"description": "", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}}}}},
                "default": {"description": "", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}}}},
            }}},
            "/v3/memories/batch": {"post": {"responses": {"204": {"description": ""}}}},
            "/v1/action-items": {"get": {"x-schemas-pending": true, "responses": {}}},
        }}))
    }

    #[test]
    fn paths_match_the_most_literal_template() {
        let document = document();
        assert_eq!(
            document.template_of("/v3/memories/batch"),
            Some("/v3/memories/batch")
        );
        assert_eq!(
            document.template_of("/v3/memories/abc"),
            Some("/v3/memories/{id}")
        );
        assert_eq!(document.template_of("/v3/memories/"), None);
        assert_eq!(document.template_of("/v3/memories/a/b"), None);
    }

    #[test]
    fn answers_are_validated_by_status_or_default() {
        let document = document();
        let check =
            |status, body| document.validate_response("DELETE", "/v3/memories/{id}", status, &body);
        assert_eq!(check(200, json!({"status": "ok"})), Ok(Checked::Valid));
        assert!(check(200, json!({"status": "done"})).is_err());
        assert_eq!(
            check(404, json!({"detail": "Memory not found"})),
            Ok(Checked::Valid)
        );
        assert!(check(404, json!({"detail": ["x"]})).is_err());
        assert!(
            document
                .validate_response("POST", "/v3/memories/batch", 200, &json!({}))
                .is_err(),
            "an undocumented status"
        );
        assert_eq!(
            document.validate_response("POST", "/v3/memories/batch", 204, &Value::Null),
            Ok(Checked::Valid)
        );
        assert!(matches!(
            document.validate_response("GET", "/v1/action-items", 200, &json!([])),
            Ok(Checked::Skipped(_))
        ));
    }
}
