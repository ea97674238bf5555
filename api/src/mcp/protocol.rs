//! The MCP protocol, independent of the transport: JSON-RPC 2.0 messages in, answers out. The methods are
//! `initialize`, `notifications/initialized` (and any other notification: no answer), `ping`, `tools/list`
//! and `tools/call`; anything else is −32601. Results and errors are rmcp's model types.

use rmcp::model::{
    CallToolRequestParams, ErrorCode, ErrorData, Implementation, InitializeResult, ProtocolVersion,
    ServerCapabilities, ToolsCapability,
};
use serde_json::{json, Value};

use super::tools;
use crate::key_auth::KeyHolder;
use crate::state::AppState;

/// The protocol version this server speaks (spec §7.5).
pub const PROTOCOL_VERSION: &str = "2025-03-26";
/// The versions a client may ask for and get back; a client asking for any other (newer) version is answered
/// with [`PROTOCOL_VERSION`], and may then go on with it or leave (MCP version negotiation).
const SUPPORTED_VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V_2024_11_05,
    ProtocolVersion::V_2025_03_26,
    ProtocolVersion::V_2025_06_18,
];
/// The server name clients see.
pub const SERVER_NAME: &str = "omi-mcp-server";

const INSTRUCTIONS: &str = "Omi knows the user's memories (facts about them), their recorded conversations \
(summaries and transcripts) and their action items. Use get_memories or search_memories before answering \
personal questions, create_memory to remember something new about the user, get_conversations and \
get_conversation_by_id for what was said, and the action item tools for the user's tasks.";

/// The answer to one message.
pub struct Answer {
    /// The JSON-RPC response, or `None` for notifications and responses.
    pub reply: Option<Value>,
    /// Whether the message was a successful `initialize`.
    pub initialized: bool,
}

fn error_reply(id: Value, error: ErrorData) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": error })
}

fn result_reply(id: Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// A JSON-RPC parse error (the body was not JSON).
pub fn parse_error(detail: impl std::fmt::Display) -> Value {
    error_reply(
        Value::Null,
        ErrorData::parse_error(format!("Parse error: {detail}"), None),
    )
}

/// A JSON-RPC invalid-request error without an id.
pub fn invalid_request(message: &str) -> Value {
    error_reply(
        Value::Null,
        ErrorData::invalid_request(message.to_string(), None),
    )
}

/// The `initialize` result for a client that asked for `requested`.
pub fn initialize_result(requested: Option<&str>) -> InitializeResult {
    let version = SUPPORTED_VERSIONS
        .into_iter()
        .find(|version| Some(version.as_str()) == requested)
        .unwrap_or(ProtocolVersion::V_2025_03_26);
    let mut capabilities = ServerCapabilities::default();
    capabilities.tools = Some(ToolsCapability::default());
    InitializeResult::new(capabilities)
        .with_protocol_version(version)
        .with_server_info(Implementation::new(SERVER_NAME, env!("CARGO_PKG_VERSION")))
        .with_instructions(INSTRUCTIONS)
}

/// Answers one JSON-RPC message from the client, acting for the key's user.
pub async fn handle(state: &AppState, key: &KeyHolder, message: Value) -> Answer {
    let nothing = Answer {
        reply: None,
        initialized: false,
    };
    let Value::Object(message) = message else {
        return Answer {
            reply: Some(invalid_request("A JSON-RPC message must be an object")),
            initialized: false,
        };
    };
    let id = message.get("id").cloned();
    let Some(method) = message.get("method").and_then(Value::as_str) else {
        if message.contains_key("result") || message.contains_key("error") {
            // A response to a request of ours: this server sends none, so there is nothing to match.
            return nothing;
        }
        return Answer {
            reply: Some(error_reply(
                id.unwrap_or(Value::Null),
                ErrorData::invalid_request("Invalid Request: no method", None),
            )),
            initialized: false,
        };
    };
    let Some(id) = id.filter(|id| !id.is_null()) else {
        // Notifications (`notifications/initialized`, `notifications/cancelled`, ...) get no answer.
        return nothing;
    };
    let params = message.get("params").cloned();
    let (result, initialized) = match method {
        "initialize" => {
            let requested = params
                .as_ref()
                .and_then(|p| p.get("protocolVersion"))
                .and_then(Value::as_str);
            (
                serde_json::to_value(initialize_result(requested)).map_err(internal),
                true,
            )
        }
        "ping" => (Ok(json!({})), false),
        "tools/list" => (Ok(json!({ "tools": tools::tools() })), false),
        "tools/call" => (call_tool(state, key, params).await, false),
        other => (
            Err(ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                format!("Method not found: {other}"),
                None,
            )),
            false,
        ),
    };
    match result {
        Ok(result) => Answer {
            reply: Some(result_reply(id, result)),
            initialized,
        },
        Err(error) => Answer {
            reply: Some(error_reply(id, error)),
            initialized: false,
        },
    }
}

fn internal(error: serde_json::Error) -> ErrorData {
    ErrorData::new(tools::TOOL_FAILED, error.to_string(), None)
}

async fn call_tool(
    state: &AppState,
    key: &KeyHolder,
    params: Option<Value>,
) -> Result<Value, ErrorData> {
    let params: CallToolRequestParams = serde_json::from_value(params.unwrap_or(Value::Null))
        .map_err(|e| ErrorData::invalid_params(format!("Invalid tools/call params: {e}"), None))?;
    let result = tools::call(state, key, &params.name, params.arguments).await?;
    serde_json::to_value(result).map_err(internal)
}

/// The answers to a request body: a single message or a batch. `None` when nothing needs an answer (only
/// notifications); a batch is answered with an array. The flag tells whether an `initialize` succeeded.
pub async fn handle_body(state: &AppState, key: &KeyHolder, body: Value) -> (Option<Value>, bool) {
    match body {
        Value::Array(messages) if messages.is_empty() => (
            Some(invalid_request("An empty batch is not a request")),
            false,
        ),
        Value::Array(messages) => {
            let mut replies = Vec::new();
            let mut initialized = false;
            for message in messages {
                let answer = handle(state, key, message).await;
                initialized |= answer.initialized;
                replies.extend(answer.reply);
            }
            let replies = (!replies.is_empty()).then_some(Value::Array(replies));
            (replies, initialized)
        }
        single => {
            let answer = handle(state, key, single).await;
            (answer.reply, answer.initialized)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initialize_answers_the_spec_version_to_newer_clients() {
        let answer = serde_json::to_value(initialize_result(Some("2026-07-28"))).unwrap();
        assert_eq!(answer["protocolVersion"], "2025-03-26");
        assert_eq!(answer["capabilities"], json!({"tools": {}}));
        assert_eq!(answer["serverInfo"]["name"], "omi-mcp-server");
        assert!(answer.get("resultType").is_none(), "{answer}");
        let older = serde_json::to_value(initialize_result(Some("2024-11-05"))).unwrap();
        assert_eq!(older["protocolVersion"], "2024-11-05");
    }
}
