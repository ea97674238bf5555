//! The MCP REST data API (spec §7.5): `/v1/mcp/memories` and `/v1/mcp/conversations`, for MCP keys.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use omi_domain::memory::{Memory, MemoryCommand};
use omi_projections::memories;
use serde::Deserialize;
use serde_json::{json, Value};

use super::data;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Body, Params, Path, QueryPairs};
use crate::key_auth::KeyHolder;
use crate::routes::memories::{self as memory_routes, MemoryInput, MemoryUpdate};
use crate::state::AppState;
use crate::time_input::now;

/// The routes of this module (behind MCP key authentication, see [`super::router`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/mcp/memories", get(list_memories).post(create_memory))
        .route(
            "/v1/mcp/memories/{id}",
            axum::routing::patch(edit_memory).delete(delete_memory),
        )
        .route("/v1/mcp/conversations", get(list_conversations))
        .route("/v1/mcp/conversations/{id}", get(get_conversation))
}

fn check_page(limit: i64, offset: i64, max: i64) -> ApiResult<()> {
    let mut problems = Vec::new();
    if !(1..=max).contains(&limit) {
        problems.push(Problem::new(
            "query.limit",
            format!("limit must be between 1 and {max}"),
        ));
    }
    if offset < 0 {
        problems.push(Problem::new("query.offset", "offset must not be negative"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(problems))
    }
}

#[derive(Deserialize)]
struct MemoryPage {
    #[serde(default = "memory_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

fn memory_limit() -> i64 {
    25
}

/// `[{id, content, category}]`, highest scored first; 400 for an unknown category.
async fn list_memories(
    State(state): State<AppState>,
    key: KeyHolder,
    Params(page): Params<MemoryPage>,
    pairs: QueryPairs,
) -> ApiResult<Json<Vec<Value>>> {
    check_page(page.limit, page.offset, 5_000)?;
    let categories = data::memory_categories(&pairs.all("categories"))?;
    let found = memories::list(
        &state.database,
        &key.uid,
        &categories,
        page.limit,
        page.offset,
    )
    .await?;
    Ok(Json(
        found
            .into_iter()
            .map(data::list_form)
            .map(|m| json!({ "id": m.id, "content": m.content, "category": m.category }))
            .collect(),
    ))
}

/// Creates a memory from a Memory body; the category is always detected and the memory counts as manually
/// added. Answers the memory in the Memory schema (and its id).
async fn create_memory(
    State(state): State<AppState>,
    key: KeyHolder,
    Body(input): Body<MemoryInput>,
) -> ApiResult<Json<Value>> {
    let memory = data::create_memory(&state, &key, input).await?;
    Ok(Json(json!({
        "id": memory.id,
        "content": memory.content,
        "category": memory.category,
        "visibility": memory.visibility,
        "tags": memory.tags,
    })))
}

#[derive(Deserialize)]
struct ValueQuery {
    value: String,
}

async fn edit_memory(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
    Params(query): Params<ValueQuery>,
) -> ApiResult<Json<Value>> {
    memory_routes::read(&state, &key.uid, &id).await?;
    let command = MemoryUpdate {
        content: Some(query.value),
        category: None,
        visibility: None,
        tags: None,
    }
    .into_command(&key.uid)?;
    state
        .execute::<Memory>(&id, command, &key.metadata())
        .await?;
    Ok(Json(json!({ "status": "ok" })))
}

async fn delete_memory(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    memory_routes::read(&state, &key.uid, &id).await?;
    let command = MemoryCommand::DeleteMemory {
        uid: key.uid.clone(),
        at: now(),
    };
    state
        .execute::<Memory>(&id, command, &key.metadata())
        .await?;
    Ok(Json(json!({ "status": "ok" })))
}

#[derive(Deserialize)]
struct ConversationQuery {
    #[serde(default = "conversation_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
    #[serde(default)]
    start_date: Option<String>,
    #[serde(default)]
    end_date: Option<String>,
}

fn conversation_limit() -> i64 {
    100
}

/// The completed, kept conversations, newest first, in the short list shape.
async fn list_conversations(
    State(state): State<AppState>,
    key: KeyHolder,
    Params(query): Params<ConversationQuery>,
    pairs: QueryPairs,
) -> ApiResult<Json<Vec<Value>>> {
    check_page(query.limit, query.offset, 1_000)?;
    let range = data::DayRange::parse(query.start_date.as_deref(), query.end_date.as_deref())?;
    let categories = data::conversation_categories(&pairs.all("categories"));
    let found = data::completed_conversations(
        &state,
        &key.uid,
        range,
        &categories,
        query.limit,
        query.offset,
    )
    .await?;
    Ok(Json(found.iter().map(data::rest_summary).collect()))
}

async fn get_conversation(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let conversation = crate::routes::conversations::read(&state, &key.uid, &id).await?;
    Ok(Json(data::rest_detail(&conversation)))
}
