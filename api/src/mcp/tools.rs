//! The MCP tools (spec §7.5): their input schemas and what calling each does. Every transport (Streamable
//! HTTP, the legacy HTTP+SSE transport, stdio) calls [`call`]; writes go through the aggregates with the MCP
//! key as the actor, reads through the read models.

use std::sync::{Arc, OnceLock};

use omi_domain::storable::{unstorable_at, NUL_REFUSED};
use omi_projections::search::Terms;
use rmcp::model::{CallToolResult, ContentBlock, ErrorCode, ErrorData, JsonObject, Tool};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::shapes;
use crate::app::action_items::{self, ActionItemInput, ListQuery};
use crate::app::chat;
use crate::app::conversations::{self, Completed, DayRange};
use crate::app::daily_summaries;
use crate::app::folders;
use crate::app::goals;
use crate::app::memories::{self, MemoryInput};
use crate::app::search::{self, SearchRequest};
use crate::app::{people, users};
use crate::app::{PageQuery, PageRule};
use crate::error::{ApiError, Problem};
use crate::key_auth::KeyHolder;
use crate::state::AppState;
use crate::time_input::InputTime;

/// JSON-RPC error code of a tool that did not find what it was asked for (spec §7.5).
pub const NOT_FOUND: ErrorCode = ErrorCode(-32001);
/// JSON-RPC error code of any other tool failure (spec §7.5).
pub const TOOL_FAILED: ErrorCode = ErrorCode(-32000);

/// `get_conversations`' list.
const CONVERSATION_PAGE: PageRule = PageRule::new(20, 1_000);

#[derive(Deserialize, JsonSchema)]
struct GetMemories {
    /// Only memories of these categories: interesting, system, manual (legacy names such as core, hobbies,
    /// work, skills, learnings, other are accepted too). Empty or absent: all categories.
    #[serde(default)]
    categories: Vec<String>,
    /// How many memories to return (1-5000), highest scored first.
    #[serde(default = "hundred")]
    limit: i64,
    /// How many memories to skip, for paging.
    #[serde(default)]
    offset: i64,
}

#[derive(Deserialize, JsonSchema)]
struct CreateMemory {
    /// The fact about the user to remember, e.g. "User prefers window seats".
    content: String,
    /// Ignored: the category is detected from the content (system for facts about the user, interesting
    /// otherwise).
    #[serde(default)]
    #[allow(dead_code)]
    category: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
struct EditMemory {
    /// The id of the memory to edit (from get_memories or search_memories).
    memory_id: String,
    /// The new text of the memory.
    content: String,
}

#[derive(Deserialize, JsonSchema)]
struct DeleteMemory {
    /// The id of the memory to delete.
    memory_id: String,
}

#[derive(Deserialize, JsonSchema)]
struct SearchMemories {
    /// Words to look for in the user's memories.
    query: String,
    /// How many memories to return (1-100), most relevant first.
    #[serde(default = "ten")]
    limit: i64,
}

#[derive(Deserialize, JsonSchema)]
struct SearchConversations {
    /// Words to look for in the titles, overviews and transcripts of the user's conversations; empty lists
    /// the newest.
    #[serde(default)]
    query: String,
    /// Only conversations created on or after this day (YYYY-MM-DD, UTC; an ISO-8601 time also works).
    #[serde(default)]
    start_date: Option<String>,
    /// Only conversations created on or before this day (YYYY-MM-DD, inclusive, UTC).
    #[serde(default)]
    end_date: Option<String>,
    /// How many conversations to return (1-100), most relevant first.
    #[serde(default = "ten")]
    limit: i64,
}

#[derive(Deserialize, JsonSchema)]
struct GetConversations {
    /// Only conversations created on or after this day (YYYY-MM-DD, UTC; an ISO-8601 time also works).
    #[serde(default)]
    start_date: Option<String>,
    /// Only conversations created on or before this day (YYYY-MM-DD, inclusive, UTC).
    #[serde(default)]
    end_date: Option<String>,
    /// Only conversations of these categories (work, personal, business, health, ...); unknown names are
    /// ignored. Empty or absent: all.
    #[serde(default)]
    categories: Vec<String>,
    /// How many conversations to return (1-1000), newest first.
    #[serde(default = "twenty")]
    limit: i64,
    /// How many conversations to skip, for paging.
    #[serde(default)]
    offset: i64,
}

#[derive(Deserialize, JsonSchema)]
struct GetConversationById {
    /// The id of the conversation (from get_conversations).
    conversation_id: String,
}

#[derive(Deserialize, JsonSchema)]
struct GetActionItems {
    /// true: only completed items; false: only open ones; absent: both.
    #[serde(default)]
    completed: Option<bool>,
    /// How many items to return (1-500), newest first.
    #[serde(default = "fifty")]
    limit: i64,
    /// How many items to skip, for paging.
    #[serde(default)]
    offset: i64,
}

#[derive(Deserialize, JsonSchema)]
struct CreateActionItem {
    /// What is to be done.
    description: String,
    /// When it is due (ISO-8601, e.g. 2026-03-01T09:00:00Z, or YYYY-MM-DD).
    #[serde(default)]
    due_at: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
struct CompleteActionItem {
    /// The id of the action item (from get_action_items).
    action_item_id: String,
    /// true marks it done (the default), false opens it again.
    #[serde(default = "yes")]
    completed: bool,
}

/// The arguments of a tool that takes none.
#[derive(Deserialize, JsonSchema)]
struct NoArguments {}

#[derive(Deserialize, JsonSchema)]
struct GetDailySummaries {
    /// How many summaries to return (1-100), newest day first.
    #[serde(default = "thirty")]
    limit: i64,
    /// How many summaries to skip, for paging.
    #[serde(default)]
    offset: i64,
}

#[derive(Deserialize, JsonSchema)]
struct GetFolders {
    /// Whether the ten system folders (Personal, Work, ..., Other) are listed too, besides the user's own
    /// folders. Absent: true.
    #[serde(default = "yes")]
    include_system: bool,
}

#[derive(Deserialize, JsonSchema)]
struct GetChatMessages {
    /// The app whose chat to read; absent, `null` or empty: the main chat.
    #[serde(default)]
    app_id: Option<String>,
    /// How many messages to return (1-100), newest first.
    #[serde(default = "ten")]
    limit: i64,
}

#[derive(Deserialize, JsonSchema)]
struct GetGoals {
    /// Also the goals that are no longer active (a user has at most 3 active goals).
    #[serde(default)]
    include_inactive: bool,
    /// How many goals to return (1-100), newest first.
    #[serde(default = "ten")]
    limit: i64,
}

fn thirty() -> i64 {
    30
}
fn hundred() -> i64 {
    100
}
fn fifty() -> i64 {
    50
}
fn twenty() -> i64 {
    20
}
fn ten() -> i64 {
    10
}
fn yes() -> bool {
    true
}

/// The input schema of `T`: a JSON Schema object with the fields' descriptions.
fn schema<T: JsonSchema>() -> Arc<JsonObject> {
    let value = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_else(|_| json!({}));
    let mut object = match value {
        Value::Object(object) => object,
        _ => JsonObject::new(),
    };
    object.remove("$schema");
    object.remove("title");
    object
        .entry("type")
        .or_insert_with(|| Value::String("object".into()));
    object
        .entry("properties")
        .or_insert_with(|| Value::Object(JsonObject::new()));
    Arc::new(object)
}

/// Every tool, in the order `tools/list` shows them.
pub fn tools() -> &'static [Tool] {
    static TOOLS: OnceLock<Vec<Tool>> = OnceLock::new();
    TOOLS.get_or_init(|| {
        vec![
            Tool::new(
                "get_memories",
                "Get the user's memories (facts Omi knows about the user), highest scored first. Optionally \
                 only some categories.",
                schema::<GetMemories>(),
            ),
            Tool::new(
                "create_memory",
                "Remember a new fact about the user. The category is detected from the content.",
                schema::<CreateMemory>(),
            ),
            Tool::new(
                "edit_memory",
                "Change the text of one of the user's memories.",
                schema::<EditMemory>(),
            ),
            Tool::new(
                "delete_memory",
                "Delete one of the user's memories.",
                schema::<DeleteMemory>(),
            ),
            Tool::new(
                "search_memories",
                "Find the user's memories that share words with a query (or, where the server has an \
                 embeddings model, are close to it in meaning), most relevant first, each with a \
                 relevance_score between 0 and 1.",
                schema::<SearchMemories>(),
            ),
            Tool::new(
                "search_conversations",
                "Find the user's completed conversations whose title, overview or transcript share words with \
                 a query (or, where the server has an embeddings model, are close to it in meaning), most \
                 relevant first, optionally within dates. Transcripts are left out: use \
                 get_conversation_by_id.",
                schema::<SearchConversations>(),
            ),
            Tool::new(
                "get_conversations",
                "List the user's completed conversations (title, overview, category, action items, events), \
                 newest first, optionally within dates and categories. Transcripts are left out: use \
                 get_conversation_by_id.",
                schema::<GetConversations>(),
            ),
            Tool::new(
                "get_conversation_by_id",
                "Get one conversation with its summary and full transcript (who said what, when).",
                schema::<GetConversationById>(),
            ),
            Tool::new(
                "get_action_items",
                "List the user's action items (tasks), newest first, optionally only open or only completed \
                 ones.",
                schema::<GetActionItems>(),
            ),
            Tool::new(
                "create_action_item",
                "Add an action item (task) to the user's list, optionally with a due time.",
                schema::<CreateActionItem>(),
            ),
            Tool::new(
                "complete_action_item",
                "Mark an action item done (or open it again with completed=false).",
                schema::<CompleteActionItem>(),
            ),
            Tool::new(
                "get_daily_summaries",
                "List the user's daily summaries (headline, overview, highlights, action items, open questions, \
                 decisions, insights and the day's numbers), newest day first.",
                schema::<GetDailySummaries>(),
            ),
            Tool::new(
                "get_folders",
                "List the user's conversation folders (id, name, description, color, icon, order, whether it is \
                 the default or a system folder, and how many conversations it holds), in their order. Empty \
                 until the user has folders.",
                schema::<GetFolders>(),
            ),
            Tool::new(
                "get_goals",
                "List the user's goals (title, type, target, current, min and max values, unit, whether active), \
                 newest first; only the active ones unless include_inactive is true.",
                schema::<GetGoals>(),
            ),
            Tool::new(
                "get_user_profile",
                "Get the user's profile (name, email, time zone, motivation, use case, job, company) and \
                 preferred language.",
                schema::<NoArguments>(),
            ),
            Tool::new(
                "get_chat_messages",
                "List the newest messages of the user's chat with Omi (or with one app), newest first: who wrote \
                 each (human or ai), its text, and the conversations an answer cites.",
                schema::<GetChatMessages>(),
            ),
            Tool::new(
                "get_people",
                "List the people the user talks with (id and name), oldest first; transcript segments name \
                 them by person_id.",
                schema::<NoArguments>(),
            ),
        ]
    })
}

/// A JSON-RPC error for a failed request of the tools.
pub fn tool_error(error: ApiError) -> ErrorData {
    match error {
        ApiError::NotFound(message) => ErrorData::new(NOT_FOUND, message, None),
        ApiError::BadRequest(message) => ErrorData::invalid_params(message, None),
        ApiError::Validation(problems) => ErrorData::invalid_params(describe(&problems), None),
        ApiError::Internal(message) => {
            tracing::error!(%message, "MCP tool failed");
            ErrorData::new(TOOL_FAILED, "Internal server error", None)
        }
        other => ErrorData::new(TOOL_FAILED, other.to_string(), None),
    }
}

fn describe(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}: {}", p.loc.join("."), p.msg))
        .collect::<Vec<_>>()
        .join("; ")
}

fn arguments<T: DeserializeOwned>(arguments: &Value) -> Result<T, ErrorData> {
    serde_path_to_error::deserialize(arguments).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        let message = if path == "." {
            message
        } else {
            format!("{path}: {message}")
        };
        ErrorData::invalid_params(format!("Invalid arguments: {message}"), None)
    })
}

/// The page of a tool's `limit` and `offset`, by the same rule as the REST doors.
fn page(rule: PageRule, limit: i64, offset: i64) -> Result<crate::app::Page, ErrorData> {
    rule.of(&PageQuery {
        limit: Some(limit),
        offset: Some(offset),
    })
    .map_err(tool_error)
}

/// The result of a tool: its JSON as text content (and as structured content).
fn result(value: Value) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(value.to_string())]);
    result.structured_content = Some(value);
    // The field belongs to protocol versions newer than the ones this server speaks.
    result.result_type = None;
    result
}

/// Calls tool `name` for the key's user.
pub async fn call(
    state: &AppState,
    key: &KeyHolder,
    name: &str,
    args: Option<JsonObject>,
) -> Result<CallToolResult, ErrorData> {
    let args = &Value::Object(args.unwrap_or_default());
    // Checked for every tool, read or write alike: no argument that the log cannot store goes any further.
    if let Some(path) = unstorable_at(args) {
        let place = if path.is_empty() {
            "a field name"
        } else {
            &path
        };
        return Err(ErrorData::invalid_params(
            format!("Invalid arguments: {place}: {NUL_REFUSED}"),
            None,
        ));
    }
    let value = match name {
        "get_memories" => get_memories(state, key, arguments(args)?).await?,
        "create_memory" => create_memory(state, key, arguments(args)?).await?,
        "edit_memory" => edit_memory(state, key, arguments(args)?).await?,
        "delete_memory" => delete_memory(state, key, arguments(args)?).await?,
        "search_memories" => search_memories(state, key, arguments(args)?).await?,
        "search_conversations" => search_conversations(state, key, arguments(args)?).await?,
        "get_conversations" => get_conversations(state, key, arguments(args)?).await?,
        "get_conversation_by_id" => get_conversation_by_id(state, key, arguments(args)?).await?,
        "get_action_items" => get_action_items(state, key, arguments(args)?).await?,
        "create_action_item" => create_action_item(state, key, arguments(args)?).await?,
        "complete_action_item" => complete_action_item(state, key, arguments(args)?).await?,
        "get_daily_summaries" => get_daily_summaries(state, key, arguments(args)?).await?,
        "get_folders" => get_folders(state, key, arguments(args)?).await?,
        "get_goals" => get_goals(state, key, arguments(args)?).await?,
        "get_user_profile" => get_user_profile(state, key, arguments(args)?).await?,
        "get_people" => get_people(state, key, arguments(args)?).await?,
        "get_chat_messages" => get_chat_messages(state, key, arguments(args)?).await?,
        other => {
            return Err(ErrorData::invalid_params(
                format!("Unknown tool: {other}"),
                None,
            ))
        }
    };
    Ok(result(value))
}

async fn get_memories(
    state: &AppState,
    key: &KeyHolder,
    args: GetMemories,
) -> Result<Value, ErrorData> {
    let page = page(memories::MCP_TOOL_PAGE, args.limit, args.offset)?;
    let categories = memories::categories(args.categories.iter().map(String::as_str))
        .map_err(|unknown| tool_error(unknown.bad_request()))?;
    let found = memories::list(state, &key.uid, &categories, page)
        .await
        .map_err(tool_error)?;
    Ok(json!({ "memories": found }))
}

async fn create_memory(
    state: &AppState,
    key: &KeyHolder,
    args: CreateMemory,
) -> Result<Value, ErrorData> {
    let input = MemoryInput::content_only(args.content);
    let memory = memories::create(state, &key.caller(), input, &memories::MCP)
        .await
        .map_err(tool_error)?;
    Ok(json!({ "success": true, "memory": memory }))
}

async fn edit_memory(
    state: &AppState,
    key: &KeyHolder,
    args: EditMemory,
) -> Result<Value, ErrorData> {
    memories::edit_content(state, &key.caller(), &args.memory_id, args.content)
        .await
        .map_err(tool_error)?;
    Ok(json!({ "success": true }))
}

async fn delete_memory(
    state: &AppState,
    key: &KeyHolder,
    args: DeleteMemory,
) -> Result<Value, ErrorData> {
    memories::delete(state, &key.caller(), &args.memory_id)
        .await
        .map_err(tool_error)?;
    Ok(json!({ "success": true }))
}

async fn search_memories(
    state: &AppState,
    key: &KeyHolder,
    args: SearchMemories,
) -> Result<Value, ErrorData> {
    if Terms::of(&args.query).is_empty() {
        return Err(ErrorData::invalid_params(
            "query must contain at least one word",
            None,
        ));
    }
    let found = search::search_memories(state, &key.uid, &args.query, args.limit)
        .await
        .map_err(tool_error)?;
    Ok(json!({ "memories": found }))
}

async fn search_conversations(
    state: &AppState,
    key: &KeyHolder,
    args: SearchConversations,
) -> Result<Value, ErrorData> {
    if !(1..=search::MAX_HITS as i64).contains(&args.limit) {
        return Err(ErrorData::invalid_params(
            format!("limit: must be between 1 and {}", search::MAX_HITS),
            None,
        ));
    }
    let request = SearchRequest {
        query: args.query,
        per_page: args.limit,
        include_discarded: false,
        start_date: args.start_date,
        end_date: args.end_date,
        ..SearchRequest::default()
    };
    let found = search::search_conversations(state, &key.uid, &request)
        .await
        .map_err(tool_error)?;
    let conversations: Vec<Value> = found
        .items
        .iter()
        .map(|found| {
            let mut summary = shapes::tool_summary(&found.conversation);
            if let Value::Object(fields) = &mut summary {
                fields.insert("match_snippets".into(), json!(found.match_snippets));
            }
            summary
        })
        .collect();
    Ok(json!({ "conversations": conversations }))
}

async fn get_conversations(
    state: &AppState,
    key: &KeyHolder,
    args: GetConversations,
) -> Result<Value, ErrorData> {
    let page = page(CONVERSATION_PAGE, args.limit, args.offset)?;
    let completed = Completed {
        range: DayRange::parse(args.start_date.as_deref(), args.end_date.as_deref())
            .map_err(tool_error)?,
        categories: conversations::categories_known(args.categories.iter().map(String::as_str)),
        folder_id: None,
    };
    let found = conversations::completed(state, &key.uid, &completed, page)
        .await
        .map_err(tool_error)?;
    let conversations: Vec<Value> = found.iter().map(shapes::tool_summary).collect();
    Ok(json!({ "conversations": conversations }))
}

async fn get_conversation_by_id(
    state: &AppState,
    key: &KeyHolder,
    args: GetConversationById,
) -> Result<Value, ErrorData> {
    let conversation = conversations::read(state, &key.uid, &args.conversation_id)
        .await
        .map_err(tool_error)?;
    Ok(json!({ "conversation": shapes::tool_detail(&conversation) }))
}

async fn get_action_items(
    state: &AppState,
    key: &KeyHolder,
    args: GetActionItems,
) -> Result<Value, ErrorData> {
    let page = page(action_items::MCP_TOOL_PAGE, args.limit, args.offset)?;
    let query = ListQuery {
        completed: args.completed,
        ..ListQuery::default()
    };
    let found = action_items::list(state, &key.uid, query, page)
        .await
        .map_err(tool_error)?;
    Ok(json!({ "action_items": found.items, "has_more": found.has_more }))
}

async fn get_daily_summaries(
    state: &AppState,
    key: &KeyHolder,
    args: GetDailySummaries,
) -> Result<Value, ErrorData> {
    let page = page(daily_summaries::PAGE, args.limit, args.offset)?;
    let found = daily_summaries::list(state, &key.uid, page)
        .await
        .map_err(tool_error)?;
    Ok(json!({ "daily_summaries": found }))
}

async fn get_folders(
    state: &AppState,
    key: &KeyHolder,
    args: GetFolders,
) -> Result<Value, ErrorData> {
    let mut found = folders::existing(state, &key.uid)
        .await
        .map_err(tool_error)?;
    found.retain(|folder| args.include_system || !folder.is_system);
    Ok(json!({ "folders": found }))
}

async fn get_goals(state: &AppState, key: &KeyHolder, args: GetGoals) -> Result<Value, ErrorData> {
    let found = goals::list(state, &key.uid, args.include_inactive, Some(args.limit))
        .await
        .map_err(tool_error)?;
    Ok(json!({ "goals": found }))
}

async fn get_user_profile(
    state: &AppState,
    key: &KeyHolder,
    _args: NoArguments,
) -> Result<Value, ErrorData> {
    let profile = users::profile::profile(state, &key.uid)
        .await
        .map_err(tool_error)?;
    let language = users::preferences::language(state, &key.uid)
        .await
        .map_err(tool_error)?;
    Ok(json!({ "profile": profile, "language": language.language }))
}

async fn get_people(
    state: &AppState,
    key: &KeyHolder,
    _args: NoArguments,
) -> Result<Value, ErrorData> {
    let found = people::list(state, &key.uid).await.map_err(tool_error)?;
    Ok(json!({ "people": found }))
}

async fn get_chat_messages(
    state: &AppState,
    key: &KeyHolder,
    args: GetChatMessages,
) -> Result<Value, ErrorData> {
    if !(1..=100).contains(&args.limit) {
        return Err(ErrorData::invalid_params(
            "limit must be between 1 and 100",
            None,
        ));
    }
    let app_id = chat::context(args.app_id.as_deref(), None).map_err(tool_error)?;
    let found = chat::recent(state, &key.uid, app_id, args.limit as usize)
        .await
        .map_err(tool_error)?;
    Ok(json!({ "messages": found }))
}

async fn create_action_item(
    state: &AppState,
    key: &KeyHolder,
    args: CreateActionItem,
) -> Result<Value, ErrorData> {
    let due_at = match args.due_at.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(InputTime(crate::time_input::parse(text).ok_or_else(
            || {
                ErrorData::invalid_params(
                    format!(
                        "due_at: invalid datetime {:?}; use ISO-8601",
                        crate::time_input::echoed(text)
                    ),
                    None,
                )
            },
        )?)),
    };
    let input = ActionItemInput {
        description: args.description,
        completed: false,
        due_at,
        conversation_id: None,
    };
    let item = action_items::create(state, &key.caller(), input, &action_items::MCP)
        .await
        .map_err(tool_error)?;
    Ok(json!({ "success": true, "action_item": item }))
}

async fn complete_action_item(
    state: &AppState,
    key: &KeyHolder,
    args: CompleteActionItem,
) -> Result<Value, ErrorData> {
    let item =
        action_items::set_completed(state, &key.caller(), &args.action_item_id, args.completed)
            .await
            .map_err(tool_error)?;
    Ok(json!({ "success": true, "action_item": item }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_an_object_schema_with_described_properties() {
        assert_eq!(tools().len(), 17);
        for tool in tools() {
            assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
            // A tool without arguments (get_user_profile) has an empty object of properties.
            let properties = tool.input_schema["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{} has no properties object", tool.name));
            for (name, property) in properties {
                assert!(
                    property.get("description").is_some(),
                    "{}.{name} has no description",
                    tool.name
                );
            }
        }
        let create = tools().iter().find(|t| t.name == "create_memory").unwrap();
        assert_eq!(create.input_schema["required"], json!(["content"]));
    }
}
