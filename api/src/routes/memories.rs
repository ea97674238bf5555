//! Memories: the mission's `/v1/memories` and the app's `/v3/memories` family (spec §2.5, §6.3), plus the
//! history of a memory.

use aide::axum::routing::{get_with, patch_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_projections::history::MemoryHistory;
use omi_projections::memories::MemoryView;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::history::AsOfQuery;
use crate::app::memories::{self, MemoryInput, MemoryUpdate};
use crate::app::PageQuery;
use crate::error::ApiResult;
use crate::extract::{Body, CurrentUser, Params, Path, QueryLists};
use crate::replies::Status;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/memories",
            get_with(list, |op| {
                op.summary("List memories, highest scoring first (limit, offset, categories)")
            })
            .post_with(create_v1, |op| op.summary("Create a memory")),
        )
        .api_route(
            "/v1/memories/{id}",
            get_with(get_one, |op| {
                op.summary("Get a memory, now or as it stood at ?as_of=")
            })
            .put_with(update, |op| {
                op.summary("Edit a memory's content, category, visibility or tags")
            })
            .delete_with(delete_one, |op| op.summary("Delete a memory")),
        )
        .api_route(
            "/v1/memories/{id}/history",
            get_with(history, |op| {
                op.summary("Every version of a memory, kept after deletion")
            }),
        )
        .api_route(
            "/v3/memories",
            get_with(list, |op| op.summary("List memories (app)"))
                .post_with(create_v3, |op| op.summary("Create a memory (app)"))
                .delete_with(delete_all, |op| op.summary("Delete all memories")),
        )
        .api_route(
            "/v3/memories/batch",
            post_with(create_batch, |op| op.summary("Create up to 100 memories")),
        )
        .api_route(
            "/v3/memories/{id}",
            patch_with(edit_content, |op| {
                op.summary("Replace a memory's content (?value=)")
            })
            .delete_with(delete_one, |op| op.summary("Delete a memory (app)")),
        )
        .api_route(
            "/v3/memories/{id}/review",
            post_with(review, |op| {
                op.summary("Review an extracted memory (?value=bool)")
            }),
        )
        .api_route(
            "/v3/memories/{id}/visibility",
            patch_with(change_visibility, |op| {
                op.summary("Make a memory public or private (?value=)")
            }),
        )
        .with_path_items(|item| item.tag("memories"))
}

/// Only memories of these categories (any case); all when none is given.
#[derive(Deserialize, JsonSchema)]
struct CategoryFilter {
    #[serde(default)]
    categories: Vec<String>,
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<PageQuery>,
    QueryLists(filter): QueryLists<CategoryFilter>,
) -> ApiResult<Json<Vec<MemoryView>>> {
    let page = memories::APP_PAGE.page(query.limit, query.offset)?;
    let categories = memories::categories(filter.categories.iter().map(String::as_str))
        .map_err(|unknown| unknown.invalid("query.categories"))?;
    Ok(Json(
        memories::list(&state, &user.uid, &categories, page).await?,
    ))
}

/// `POST /v1/memories`: a memory written through the user API is the user's own, so it counts as manually
/// added (and reviewed).
async fn create_v1(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(input): Body<MemoryInput>,
) -> ApiResult<Json<MemoryView>> {
    let memory = memories::create(&state, &user.caller(), input, &memories::APP_V1).await?;
    Ok(Json(memory))
}

/// `POST /v3/memories`: as the reference server, only the `manual` category counts as manually added.
async fn create_v3(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(input): Body<MemoryInput>,
) -> ApiResult<Json<MemoryView>> {
    let memory = memories::create(&state, &user.caller(), input, &memories::APP_V3).await?;
    Ok(Json(memory))
}

#[derive(Deserialize, JsonSchema)]
struct Batch {
    memories: Vec<MemoryInput>,
}

#[derive(Serialize, JsonSchema)]
struct BatchCreated {
    created_count: usize,
    memories: Vec<MemoryView>,
}

async fn create_batch(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(batch): Body<Batch>,
) -> ApiResult<Json<BatchCreated>> {
    let created = memories::create_batch(
        &state,
        &user.caller(),
        batch.memories,
        &memories::APP_V3,
        "body.memories",
    )
    .await?;
    Ok(Json(BatchCreated {
        created_count: created.len(),
        memories: created,
    }))
}

async fn get_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<AsOfQuery>,
) -> ApiResult<Json<MemoryView>> {
    Ok(Json(
        memories::read_at(&state, &user.uid, &id, query.instant()).await?,
    ))
}

async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(update): Body<MemoryUpdate>,
) -> ApiResult<Json<MemoryView>> {
    let memory = memories::edit(&state, &user.caller(), &id, update, &memories::APP_V1).await?;
    Ok(Json(memory))
}

async fn delete_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Status>> {
    memories::delete(&state, &user.caller(), &id).await?;
    Ok(Json(Status::ok()))
}

#[derive(Serialize, JsonSchema)]
struct DeletedAll {
    status: &'static str,
    deleted_count: usize,
}

async fn delete_all(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<DeletedAll>> {
    let deleted_count = memories::delete_all(&state, &user.caller()).await?;
    Ok(Json(DeletedAll {
        status: "ok",
        deleted_count,
    }))
}

#[derive(Deserialize, JsonSchema)]
struct BoolValue {
    value: bool,
}

async fn review(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<BoolValue>,
) -> ApiResult<Json<Status>> {
    memories::review(&state, &user.caller(), &id, query.value).await?;
    Ok(Json(Status::ok()))
}

#[derive(Deserialize, JsonSchema)]
struct TextValue {
    value: String,
}

async fn edit_content(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<TextValue>,
) -> ApiResult<Json<Status>> {
    memories::edit_content(&state, &user.caller(), &id, query.value).await?;
    Ok(Json(Status::ok()))
}

async fn change_visibility(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<TextValue>,
) -> ApiResult<Json<Status>> {
    memories::change_visibility(&state, &user.caller(), &id, &query.value).await?;
    Ok(Json(Status::ok()))
}

async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<MemoryHistory>> {
    Ok(Json(memories::history(&state, &user.uid, &id).await?))
}
