//! `/v1/dev/user/memories`: list, create, batch create, patch and delete the user's memories (spec §7.4).
//!
//! A memory created without a category gets one by the domain's rule
//! ([`MemoryCategory::detected_from`](omi_domain::memory::MemoryCategory::detected_from)): `system` (a fact about
//! the user) when its content speaks in the first person or names "the user", else `interesting`. Memories
//! created here are manually added (and so reviewed).

use aide::axum::routing::{get_with, patch_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use omi_domain::api_key::Scope;
use omi_projections::memories::MemoryView;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::memories::{
    self, MemoryInput, MemorySummary, MemoryUpdate, UnknownCategory, DEVELOPER, DEVELOPER_PAGE,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Params, Path};
use crate::key_auth::KeyHolder;
use crate::replies::Success;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/dev/user/memories",
            get_with(list, |op| op.summary("List memories")).post_with(create, |op| {
                op.summary("Create a memory (category detected when omitted)")
            }),
        )
        .api_route(
            "/v1/dev/user/memories/batch",
            post_with(create_batch, |op| op.summary("Create up to 25 memories")),
        )
        .api_route(
            "/v1/dev/user/memories/{id}",
            patch_with(update, |op| {
                op.summary("Edit a memory's content, visibility, tags or category")
            })
            .delete_with(delete_one, |op| op.summary("Delete a memory")),
        )
}

#[derive(Deserialize, JsonSchema)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    /// Comma-separated category names (any case); 400 for an unknown one.
    #[serde(default)]
    categories: Option<String>,
}

/// The developer API's memory shape (spec §7.4); a memory just created has no review fields.
#[derive(Serialize, JsonSchema)]
pub(super) struct DeveloperMemory {
    #[serde(flatten)]
    summary: MemorySummary,
    #[serde(with = "omi_projections::time::iso")]
    #[schemars(with = "DateTime<Utc>")]
    created_at: DateTime<Utc>,
    #[serde(with = "omi_projections::time::iso")]
    #[schemars(with = "DateTime<Utc>")]
    updated_at: DateTime<Utc>,
    manually_added: bool,
    scoring: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    review: Option<Review>,
}

#[derive(Serialize, JsonSchema)]
struct Review {
    reviewed: bool,
    user_review: Option<bool>,
    edited: bool,
}

impl DeveloperMemory {
    pub(super) fn of(memory: MemoryView, with_review: bool) -> Self {
        let review = with_review.then_some(Review {
            reviewed: memory.reviewed,
            user_review: memory.user_review,
            edited: memory.edited,
        });
        Self {
            summary: MemorySummary::from(&memory),
            created_at: memory.created_at,
            updated_at: memory.updated_at,
            manually_added: memory.manually_added,
            scoring: memory.scoring,
            review,
        }
    }
}

async fn list(
    State(state): State<AppState>,
    key: KeyHolder,
    query: Result<Params<ListQuery>, ApiError>,
) -> ApiResult<Json<Vec<DeveloperMemory>>> {
    key.require(Scope::MemoriesRead)?;
    let Params(query) = query?;
    let page = DEVELOPER_PAGE.page(query.limit, query.offset)?;
    let categories =
        memories::categories(query.categories.as_deref()).map_err(UnknownCategory::bad_request)?;
    let found = memories::list(&state, &key.uid, &categories, page).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|memory| DeveloperMemory::of(memory, true))
            .collect(),
    ))
}

async fn create(
    State(state): State<AppState>,
    key: KeyHolder,
    body: Result<Body<MemoryInput>, ApiError>,
) -> ApiResult<Json<DeveloperMemory>> {
    key.require(Scope::MemoriesWrite)?;
    let Body(input) = body?;
    let memory = memories::create(&state, &key.caller(), input, &DEVELOPER).await?;
    Ok(Json(DeveloperMemory::of(memory, false)))
}

#[derive(Deserialize, JsonSchema)]
struct Batch {
    memories: Vec<MemoryInput>,
}

#[derive(Serialize, JsonSchema)]
struct BatchCreated {
    memories: Vec<DeveloperMemory>,
    created_count: usize,
}

async fn create_batch(
    State(state): State<AppState>,
    key: KeyHolder,
    body: Result<Body<Batch>, ApiError>,
) -> ApiResult<Json<BatchCreated>> {
    key.require(Scope::MemoriesWrite)?;
    let Body(batch) = body?;
    let created = memories::create_batch(
        &state,
        &key.caller(),
        batch.memories,
        &DEVELOPER,
        "body.memories",
    )
    .await?;
    Ok(Json(BatchCreated {
        created_count: created.len(),
        memories: created
            .into_iter()
            .map(|memory| DeveloperMemory::of(memory, false))
            .collect(),
    }))
}

async fn update(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
    body: Result<Body<MemoryUpdate>, ApiError>,
) -> ApiResult<Json<DeveloperMemory>> {
    key.require(Scope::MemoriesWrite)?;
    let Body(update) = body?;
    let memory = memories::edit(&state, &key.caller(), &id, update, &DEVELOPER).await?;
    Ok(Json(DeveloperMemory::of(memory, true)))
}

async fn delete_one(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
) -> ApiResult<Json<Success>> {
    key.require(Scope::MemoriesWrite)?;
    memories::delete(&state, &key.caller(), &id).await?;
    Ok(Json(Success::yes()))
}
