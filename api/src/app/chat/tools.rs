//! The tools a chat model may call, each run through the application layer as the user who asks: the model
//! sees only that user's data, and what it creates is recorded as that user's doing. Conversations found by a
//! tool join the numbered list the answer cites from. In an app's chat the app's own tools (spec §5.5) are
//! called at their endpoints, within the outbound guard.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use omi_domain::app::ChatTool;
use omi_services::chat::{ChatTools, RetrievedConversation};
use omi_services::outbound::Outbound;
use serde_json::{json, Value};

use super::retrieval::{found_conversations, found_memories, newest_action_items};
use crate::app::action_items::{self, ActionItemInput};
use crate::app::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::time_input::{parse, InputTime};

/// The most results a search tool answers.
const MAX_RESULTS: usize = 10;
/// The most action items the list tool answers.
const MAX_ACTION_ITEMS: i64 = 50;
/// How long an app's tool may take to answer.
const APP_TOOL_TIMEOUT: Duration = Duration::from_secs(30);

/// The tools of one answer.
pub struct AppTools {
    state: AppState,
    caller: Caller,
    /// The conversations the answer may cite, numbered from 1 by their place here.
    numbered: Mutex<Vec<String>>,
    /// Only the tools that read (for a caller allowed to read only).
    read_only: bool,
    /// The tools of the app whose chat this is, with its id.
    app_tools: Option<(String, Vec<ChatTool>)>,
}

impl AppTools {
    /// Tools for `caller`, citing `conversations` as 1, 2, … first.
    pub fn new(state: AppState, caller: Caller, conversations: &[RetrievedConversation]) -> Self {
        Self {
            state,
            caller,
            numbered: Mutex::new(conversations.iter().map(|c| c.id.clone()).collect()),
            read_only: false,
            app_tools: None,
        }
    }

    /// The same tools and those of the app `app_id` (spec §5.5).
    pub fn with_app_tools(mut self, app_id: &str, tools: Vec<ChatTool>) -> Self {
        self.app_tools = Some((app_id.to_string(), tools));
        self
    }

    /// Calls the app's tool at its endpoint with the arguments, the user, the app and the tool's name; the app's
    /// `{"result": …}` or `{"error": …}`.
    async fn call_app_tool(&self, app_id: &str, tool: &ChatTool, arguments: &Value) -> Value {
        let mut body = match arguments {
            Value::Object(fields) => fields.clone(),
            _ => Default::default(),
        };
        body.insert("uid".into(), json!(self.caller.uid));
        body.insert("app_id".into(), json!(app_id));
        body.insert("tool_name".into(), json!(tool.name));
        let outbound = Outbound::new(self.state.config.allow_private_outbound, APP_TOOL_TIMEOUT);
        match outbound
            .call_json(&tool.method, &tool.endpoint, &Value::Object(body))
            .await
        {
            Ok(answer) => match (answer.get("result"), answer.get("error")) {
                (Some(result), _) => json!({ "result": result }),
                (None, Some(error)) => json!({ "error": error }),
                (None, None) => {
                    json!({ "error": "the app's tool answered neither result nor error" })
                }
            },
            Err(error) => {
                tracing::warn!(app = app_id, tool = %tool.name, %error, "an app's chat tool failed");
                json!({ "error": format!("the app's tool failed: {error}") })
            }
        }
    }

    /// The same tools without those that write.
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// The conversations the answer may cite, in the order of their numbers.
    pub fn numbered(&self) -> Vec<String> {
        self.numbered
            .lock()
            .map(|ids| ids.clone())
            .unwrap_or_default()
    }

    /// The number `id` is cited by, given it one if it has none yet.
    fn number_of(&self, id: &str) -> usize {
        let Ok(mut ids) = self.numbered.lock() else {
            return 0;
        };
        match ids.iter().position(|known| known == id) {
            Some(at) => at + 1,
            None => {
                ids.push(id.to_string());
                ids.len()
            }
        }
    }

    async fn run(&self, name: &str, arguments: &Value) -> Result<Value, String> {
        let uid = &self.caller.uid;
        let limit = |default: usize| {
            arguments["limit"]
                .as_u64()
                .map_or(default, |n| (n as usize).clamp(1, MAX_RESULTS))
        };
        match name {
            "search_conversations" => {
                let query = text(arguments, "query")?;
                let found = found_conversations(&self.state, uid, query, limit(5))
                    .await
                    .map_err(describe)?;
                let results: Vec<Value> = found
                    .iter()
                    .map(|c| {
                        json!({
                            "number": self.number_of(&c.id),
                            "title": c.title,
                            "overview": c.overview,
                            "created_at": c.created_at.to_rfc3339(),
                            "excerpt": c.sentences.iter().take(20).cloned().collect::<Vec<_>>().join(" "),
                        })
                    })
                    .collect();
                Ok(json!({ "conversations": results }))
            }
            "search_memories" => {
                let query = text(arguments, "query")?;
                let found = found_memories(&self.state, uid, query, limit(5))
                    .await
                    .map_err(describe)?;
                Ok(json!({ "memories": found }))
            }
            "list_action_items" => {
                let completed = arguments["completed"].as_bool();
                let limit = arguments["limit"]
                    .as_i64()
                    .map_or(MAX_ACTION_ITEMS, |n| n.clamp(1, MAX_ACTION_ITEMS));
                let items = newest_action_items(&self.state, uid, completed, limit)
                    .await
                    .map_err(describe)?;
                let items: Vec<Value> = items
                    .iter()
                    .map(|item| {
                        json!({
                            "description": item.description,
                            "completed": item.completed,
                            "due_at": item.due_at.map(|d| d.to_rfc3339()),
                        })
                    })
                    .collect();
                Ok(json!({ "action_items": items }))
            }
            "create_action_item" if self.read_only => {
                Err("this caller may only read: no action item can be created".into())
            }
            "create_action_item" => {
                let description = text(arguments, "description")?.to_string();
                let due_at = match arguments["due_at"]
                    .as_str()
                    .filter(|d| !d.trim().is_empty())
                {
                    None => None,
                    Some(due) => {
                        Some(InputTime(parse(due).ok_or_else(|| {
                            format!("due_at is not a date and time: {due}")
                        })?))
                    }
                };
                let input = ActionItemInput {
                    description,
                    completed: false,
                    due_at,
                    conversation_id: None,
                };
                let item =
                    action_items::create(&self.state, &self.caller, input, &action_items::APP)
                        .await
                        .map_err(describe)?;
                Ok(json!({ "created": { "id": item.id, "description": item.description } }))
            }
            other => Err(format!("there is no tool {other}")),
        }
    }
}

#[async_trait]
impl ChatTools for AppTools {
    async fn call(&self, name: &str, arguments: &Value) -> Value {
        if let Some((app_id, tools)) = &self.app_tools {
            if let Some(tool) = tools.iter().find(|tool| tool.name == name) {
                return self.call_app_tool(app_id, tool, arguments).await;
            }
        }
        self.run(name, arguments)
            .await
            .unwrap_or_else(|error| json!({ "error": error }))
    }
}

/// The string argument `name`, or why the call is refused.
fn text<'a>(arguments: &'a Value, name: &str) -> Result<&'a str, String> {
    arguments[name]
        .as_str()
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| format!("{name} is required"))
}

/// A refusal as the model reads it.
fn describe(error: ApiError) -> String {
    match error {
        ApiError::Validation(problems) => problems
            .iter()
            .map(|problem| format!("{}: {}", problem.loc.join("."), problem.msg))
            .collect::<Vec<_>>()
            .join("; "),
        ApiError::Internal(_) => "the tool failed".into(),
        other => other.to_string(),
    }
}
