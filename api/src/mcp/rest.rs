//! The MCP REST data API (spec §7.5): `/v1/mcp/memories` and `/v1/mcp/conversations`, for MCP keys.

use aide::axum::routing::{get_with, patch_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_domain::memory::MemoryCategory;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::shapes::{self, RestDetail, RestSummary};
use crate::app::conversations::{self, Completed, DayRange};
use crate::app::memories::{self, MemoryInput, MemorySummary, UnknownCategory, MCP, MCP_REST_PAGE};
use crate::app::{PageQuery, PageRule};
use crate::error::ApiResult;
use crate::extract::{Body, Params, Path, QueryLists};
use crate::key_auth::KeyHolder;
use crate::replies::Status;
use crate::state::AppState;

/// The routes of this module (behind MCP key authentication, see [`super::router`]).
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/mcp/memories",
            get_with(list_memories, |op| {
                op.summary("List memories (MCP REST data API)")
            })
            .post_with(create_memory, |op| {
                op.summary("Create a memory (category detected)")
            }),
        )
        .api_route(
            "/v1/mcp/memories/{id}",
            patch_with(edit_memory, |op| {
                op.summary("Replace a memory's content (?value=)")
            })
            .delete_with(delete_memory, |op| op.summary("Delete a memory")),
        )
        .api_route(
            "/v1/mcp/conversations",
            get_with(list_conversations, |op| {
                op.summary("List completed conversations")
            }),
        )
        .api_route(
            "/v1/mcp/conversations/{id}",
            get_with(get_conversation, |op| {
                op.summary("Get a conversation with its transcript")
            }),
        )
}

/// The conversation list.
const CONVERSATION_PAGE: PageRule = PageRule::new(100, 1_000);

/// The categories a list is limited to (all when none is given).
#[derive(Deserialize, JsonSchema)]
struct Categories {
    #[serde(default)]
    categories: Vec<String>,
}

/// A memory in MCP's short list shape.
#[derive(Serialize, JsonSchema)]
struct ListedMemory {
    id: String,
    content: String,
    category: MemoryCategory,
}

/// `[{id, content, category}]`, highest scored first; 400 for an unknown category.
async fn list_memories(
    State(state): State<AppState>,
    key: KeyHolder,
    Params(query): Params<PageQuery>,
    QueryLists(filter): QueryLists<Categories>,
) -> ApiResult<Json<Vec<ListedMemory>>> {
    let page = MCP_REST_PAGE.of(&query)?;
    let categories = memories::categories(filter.categories.iter().map(String::as_str))
        .map_err(UnknownCategory::bad_request)?;
    let found = memories::list(&state, &key.uid, &categories, page).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|m| ListedMemory {
                id: m.id,
                content: m.content,
                category: m.category,
            })
            .collect(),
    ))
}

/// Creates a memory from a Memory body; the category is always detected and the memory counts as manually
/// added. Answers the memory in the Memory schema (and its id).
async fn create_memory(
    State(state): State<AppState>,
    key: KeyHolder,
    Body(input): Body<MemoryInput>,
) -> ApiResult<Json<MemorySummary>> {
    let memory = memories::create(&state, &key.caller(), input, &MCP).await?;
    Ok(Json(MemorySummary::from(&memory)))
}

/// The new content.
#[derive(Deserialize, JsonSchema)]
struct ValueQuery {
    value: String,
}

async fn edit_memory(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
    Params(query): Params<ValueQuery>,
) -> ApiResult<Json<Status>> {
    memories::edit_content(&state, &key.caller(), &id, query.value).await?;
    Ok(Json(Status::ok()))
}

async fn delete_memory(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
) -> ApiResult<Json<Status>> {
    memories::delete(&state, &key.caller(), &id).await?;
    Ok(Json(Status::ok()))
}

#[derive(Deserialize, JsonSchema)]
struct ConversationQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    /// `YYYY-MM-DD` or ISO-8601; 400 otherwise.
    #[serde(default)]
    start_date: Option<String>,
    /// `YYYY-MM-DD` (through the end of that day) or ISO-8601; 400 otherwise.
    #[serde(default)]
    end_date: Option<String>,
}

/// The completed, kept conversations, newest first, in the short list shape.
async fn list_conversations(
    State(state): State<AppState>,
    key: KeyHolder,
    Params(query): Params<ConversationQuery>,
    QueryLists(filter): QueryLists<Categories>,
) -> ApiResult<Json<Vec<RestSummary>>> {
    let page = CONVERSATION_PAGE.page(query.limit, query.offset)?;
    let completed = Completed {
        range: DayRange::parse(query.start_date.as_deref(), query.end_date.as_deref())?,
        categories: conversations::categories_known(filter.categories.iter().map(String::as_str)),
        folder_id: None,
    };
    let found = conversations::completed(&state, &key.uid, &completed, page).await?;
    Ok(Json(found.iter().map(shapes::rest_summary).collect()))
}

async fn get_conversation(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
) -> ApiResult<Json<RestDetail>> {
    let conversation = conversations::read(&state, &key.uid, &id).await?;
    Ok(Json(shapes::rest_detail(&conversation)))
}
