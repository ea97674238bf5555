//! `/v1/dev/user/memories`: list, create, batch create, patch and delete the user's memories (spec §7.4),
//! through the validation, commands and read model of the app's memory routes.
//!
//! A memory created without a category gets one by the rule MCP uses too ([`detect_category`]): `system` (a
//! fact about the user) when its content speaks in the first person ("I", "my", "we", …) or names "the user",
//! else `interesting`. Memories created here are manually added (and so reviewed).

use axum::extract::State;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use omi_domain::api_key::Scope;
use omi_domain::memory::{Memory, MemoryCategory, MemoryCommand};
use omi_projections::memories::{self, MemoryView};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{check_length, check_page, success};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Body, Params, Path};
use crate::key_auth::KeyHolder;
use crate::routes::memories::{self as app, detect_category, MemoryInput, MemoryUpdate, NewMemory};
use crate::state::AppState;
use crate::time_input::now;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/dev/user/memories", get(list).post(create))
        .route("/v1/dev/user/memories/batch", post(create_batch))
        .route(
            "/v1/dev/user/memories/{id}",
            patch(update).delete(delete_one),
        )
}

/// The longest memory content, in characters.
const MAX_CONTENT: usize = 500;
/// The most memories one batch creates.
const MAX_BATCH: usize = 25;

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
    #[serde(default)]
    categories: Option<String>,
}

fn default_limit() -> i64 {
    25
}

/// The developer API's memory shape in lists and edits (spec §7.4).
fn shape(memory: &MemoryView) -> Value {
    json!({
        "id": memory.id,
        "content": memory.content,
        "category": memory.category,
        "visibility": memory.visibility,
        "tags": memory.tags,
        "created_at": omi_projections::time::format(&memory.created_at),
        "updated_at": omi_projections::time::format(&memory.updated_at),
        "manually_added": memory.manually_added,
        "scoring": memory.scoring,
        "reviewed": memory.reviewed,
        "user_review": memory.user_review,
        "edited": memory.edited,
    })
}

/// The shape of a memory just created (spec §7.4: without the review fields).
fn created_shape(memory: &MemoryView) -> Value {
    json!({
        "id": memory.id,
        "content": memory.content,
        "category": memory.category,
        "visibility": memory.visibility,
        "tags": memory.tags,
        "created_at": omi_projections::time::format(&memory.created_at),
        "updated_at": omi_projections::time::format(&memory.updated_at),
        "manually_added": memory.manually_added,
        "scoring": memory.scoring,
    })
}

/// Validates one memory of a create body (problems at `loc`): the app's checks, content of at most
/// [`MAX_CONTENT`] characters, and the category detected when none is given.
fn validate(input: MemoryInput, loc: &str, problems: &mut Vec<Problem>) -> Option<NewMemory> {
    let omitted = input
        .category
        .as_deref()
        .is_none_or(|category| category.trim().is_empty());
    let too_long = input.content.trim().chars().count() > MAX_CONTENT;
    if too_long {
        problems.push(Problem::new(
            &format!("{loc}.content"),
            format!("Memory content must be at most {MAX_CONTENT} characters"),
        ));
    }
    let mut memory = input.validate(loc, problems)?;
    if omitted {
        memory.category = detect_category(&memory.content);
    }
    Some(memory).filter(|_| !too_long)
}

async fn list(
    State(state): State<AppState>,
    key: KeyHolder,
    query: Result<Params<ListQuery>, ApiError>,
) -> ApiResult<Json<Vec<Value>>> {
    key.require(Scope::MemoriesRead)?;
    let Params(query) = query?;
    check_page(query.limit, query.offset)?;
    let mut categories = Vec::new();
    for name in query
        .categories
        .iter()
        .flat_map(|c| c.split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        categories.push(
            MemoryCategory::parse(&name.to_ascii_lowercase())
                .ok_or_else(|| ApiError::BadRequest(format!("Invalid category: {name}")))?,
        );
    }
    let found = memories::list(
        &state.database,
        &key.uid,
        &categories,
        query.limit,
        query.offset,
    )
    .await?;
    Ok(Json(found.iter().map(shape).collect()))
}

async fn create(
    State(state): State<AppState>,
    key: KeyHolder,
    body: Result<Body<MemoryInput>, ApiError>,
) -> ApiResult<Json<Value>> {
    key.require(Scope::MemoriesWrite)?;
    let Body(input) = body?;
    let mut problems = Vec::new();
    let memory = validate(input, "body", &mut problems);
    let Some(memory) = memory.filter(|_| problems.is_empty()) else {
        return Err(ApiError::Validation(problems));
    };
    let created = app::create_all(&state, &key.uid, &key.metadata(), vec![(memory, true)]).await?;
    let memory = created
        .first()
        .ok_or_else(|| ApiError::Internal("the created memory was not read back".into()))?;
    Ok(Json(created_shape(memory)))
}

#[derive(Deserialize)]
struct Batch {
    memories: Vec<MemoryInput>,
}

async fn create_batch(
    State(state): State<AppState>,
    key: KeyHolder,
    body: Result<Body<Batch>, ApiError>,
) -> ApiResult<Json<Value>> {
    key.require(Scope::MemoriesWrite)?;
    let Body(batch) = body?;
    if batch.memories.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "body.memories",
            format!("at most {MAX_BATCH} memories per batch"),
        ));
    }
    // Validate everything first: an invalid batch writes nothing.
    let mut problems = Vec::new();
    let valid: Vec<(NewMemory, bool)> = batch
        .memories
        .into_iter()
        .enumerate()
        .filter_map(|(i, input)| validate(input, &format!("body.memories.{i}"), &mut problems))
        .map(|memory| (memory, true))
        .collect();
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let created = app::create_all(&state, &key.uid, &key.metadata(), valid).await?;
    Ok(Json(json!({
        "memories": created.iter().map(created_shape).collect::<Vec<_>>(),
        "created_count": created.len(),
    })))
}

async fn update(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
    body: Result<Body<MemoryUpdate>, ApiError>,
) -> ApiResult<Json<Value>> {
    key.require(Scope::MemoriesWrite)?;
    let Body(body) = body?;
    if let Some(content) = &body.content {
        check_length("body.content", "content", content, MAX_CONTENT)?;
    }
    let command = body.into_command(&key.uid)?;
    state
        .execute::<Memory>(&id, command, &key.metadata())
        .await?;
    Ok(Json(shape(&app::read(&state, &key.uid, &id).await?)))
}

async fn delete_one(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    key.require(Scope::MemoriesWrite)?;
    let command = MemoryCommand::DeleteMemory {
        uid: key.uid.clone(),
        at: now(),
    };
    state
        .execute::<Memory>(&id, command, &key.metadata())
        .await?;
    Ok(success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_person_memories_are_about_the_user() {
        for content in [
            "I like tea",
            "My sister lives in Lyon",
            "Running makes me happy",
            "I’m learning Rust",
            "User prefers mornings",
        ] {
            assert_eq!(
                detect_category(content),
                MemoryCategory::System,
                "{content}"
            );
        }
        for content in [
            "Water boils at 100 °C at sea level",
            "Ann says sleep beats coffee",
            "Iceland has no mosquitoes",
        ] {
            assert_eq!(
                detect_category(content),
                MemoryCategory::Interesting,
                "{content}"
            );
        }
    }
}
