//! An app's chat-tools manifest (spec §5.5): `{"tools": [{name, description, endpoint, method?, parameters?,
//! auth_required?, status_message?}], ...}` fetched from `chat_tools_manifest_url` within the outbound guard,
//! checked tool by tool; a manifest with a bad tool is refused whole, so what an app offers never half-changes.

use omi_domain::app::ChatTool;
use reqwest::Url;
use serde_json::Value;

use crate::outbound::{Outbound, OutboundError};

/// The most tools one app offers.
pub const MAX_TOOLS: usize = 32;
/// The longest tool name.
const MAX_NAME: usize = 64;
/// The longest description or status message.
const MAX_TEXT: usize = 1_000;
/// The names of the server's own chat tools, which an app's tool may not take.
pub const RESERVED_NAMES: [&str; 4] = [
    "search_conversations",
    "search_memories",
    "list_action_items",
    "create_action_item",
];

/// Why a manifest was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("the manifest could not be fetched: {0}")]
    Fetch(#[from] OutboundError),
    #[error("the manifest is invalid: {0}")]
    Invalid(String),
}

/// Fetches and checks the manifest at `url`; relative endpoints resolve against `app_home_url`.
pub async fn fetch(
    outbound: &Outbound,
    url: &str,
    app_home_url: Option<&str>,
) -> Result<Vec<ChatTool>, ManifestError> {
    let url = outbound.permitted(url).await?;
    let manifest = outbound.get_json(url.clone()).await?;
    let base = app_home_url
        .and_then(|home| Url::parse(home).ok())
        .unwrap_or(url);
    parse(&manifest, &base)
}

/// The tools of `manifest`, endpoints resolved against `base`.
pub fn parse(manifest: &Value, base: &Url) -> Result<Vec<ChatTool>, ManifestError> {
    let invalid = |why: String| ManifestError::Invalid(why);
    let tools = manifest
        .get("tools")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("it has no \"tools\" list".into()))?;
    if tools.len() > MAX_TOOLS {
        return Err(invalid(format!("more than {MAX_TOOLS} tools")));
    }
    let mut checked: Vec<ChatTool> = Vec::with_capacity(tools.len());
    for (index, tool) in tools.iter().enumerate() {
        let tool = parse_tool(tool, base).map_err(|why| invalid(format!("tool {index}: {why}")))?;
        if checked.iter().any(|earlier| earlier.name == tool.name) {
            return Err(invalid(format!(
                "tool {index}: the name {} is taken twice",
                tool.name
            )));
        }
        checked.push(tool);
    }
    Ok(checked)
}

fn parse_tool(tool: &Value, base: &Url) -> Result<ChatTool, String> {
    let text = |field: &str| tool.get(field).and_then(Value::as_str).map(str::trim);
    let name = text("name")
        .filter(|n| !n.is_empty())
        .ok_or("it has no name")?;
    let well_formed = name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !well_formed {
        return Err(format!(
            "the name {name:?} is not 1-{MAX_NAME} letters, digits, _ or -"
        ));
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(format!("the name {name} is the server's own tool"));
    }
    let description = text("description").unwrap_or_default();
    let status_message = text("status_message").filter(|m| !m.is_empty());
    if description.chars().count() > MAX_TEXT
        || status_message.is_some_and(|m| m.chars().count() > MAX_TEXT)
        || description.contains('\0')
        || status_message.is_some_and(|m| m.contains('\0'))
    {
        return Err(format!(
            "its texts must hold at most {MAX_TEXT} characters and no NUL"
        ));
    }
    let endpoint = text("endpoint")
        .filter(|e| !e.is_empty())
        .ok_or("it has no endpoint")?;
    let endpoint = base
        .join(endpoint)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
        .ok_or_else(|| format!("the endpoint {endpoint:?} is not an http(s) URL"))?;
    let method = text("method").unwrap_or("POST").to_ascii_uppercase();
    if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
        return Err(format!(
            "the method {method} is not GET, POST, PUT, PATCH or DELETE"
        ));
    }
    // Stored as a JSON string by some manifests.
    let parameters = match tool.get("parameters") {
        None | Some(Value::Null) => None,
        Some(Value::String(json)) => {
            Some(serde_json::from_str::<Value>(json).map_err(|_| "its parameters are not JSON")?)
        }
        Some(other) => Some(other.clone()),
    };
    if parameters.as_ref().is_some_and(|p| !p.is_object()) {
        return Err("its parameters are not a JSON Schema object".into());
    }
    Ok(ChatTool {
        name: name.to_string(),
        description: description.to_string(),
        endpoint: endpoint.to_string(),
        method,
        parameters,
        auth_required: tool
            .get("auth_required")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        status_message: status_message.map(String::from),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn base() -> Url {
        Url::parse("https://app.example.com/home/").unwrap()
    }

    #[test]
    fn tools_are_read_with_their_defaults_and_relative_endpoints_resolved() {
        let manifest = json!({"tools": [
            {"name": "get_weather", "description": "The weather", "endpoint": "tools/weather",
             "parameters": "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}"},
            {"name": "list-notes", "description": "Notes", "endpoint": "https://notes.example.com/list",
             "method": "get", "auth_required": false, "status_message": "Reading notes"},
        ]});
        let tools = parse(&manifest, &base()).unwrap();
        assert_eq!(
            tools[0].endpoint,
            "https://app.example.com/home/tools/weather"
        );
        assert_eq!(tools[0].method, "POST");
        assert!(tools[0].auth_required);
        assert_eq!(
            tools[0].parameters.as_ref().unwrap()["properties"]["city"]["type"],
            "string"
        );
        assert_eq!(tools[1].method, "GET");
        assert_eq!(tools[1].status_message.as_deref(), Some("Reading notes"));
    }

    #[test]
    fn a_bad_tool_refuses_the_whole_manifest() {
        for tools in [
            json!([{"description": "no name", "endpoint": "/x"}]),
            json!([{"name": "has space", "endpoint": "/x"}]),
            json!([{"name": "search_memories", "endpoint": "/x"}]),
            json!([{"name": "a", "endpoint": "ftp://files.example.com/x"}]),
            json!([{"name": "a", "endpoint": "/x", "method": "TRACE"}]),
            json!([{"name": "a", "endpoint": "/x", "parameters": [1]}]),
            json!([{"name": "a", "endpoint": "/x"}, {"name": "a", "endpoint": "/y"}]),
            json!([{"name": "a", "endpoint": "/x", "description": "a\u{0}b"}]),
        ] {
            assert!(parse(&json!({"tools": tools}), &base()).is_err(), "{tools}");
        }
        assert!(parse(&json!({"tools": {}}), &base()).is_err());
        let many: Vec<Value> = (0..=MAX_TOOLS)
            .map(|n| json!({"name": format!("t{n}"), "endpoint": "/x"}))
            .collect();
        assert!(parse(&json!({"tools": many}), &base()).is_err());
    }
}
