//! Memories: the mission's `/v1/memories` and the app's `/v3/memories` family (spec §2.5, §6.3), plus the
//! history of a memory.

use axum::extract::State;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use omi_projections::memories::MemoryView;
use omi_projections::memory_history::MemoryHistory;
use serde::{Deserialize, Serialize};

use crate::app::memories::{self, MemoryInput, MemoryUpdate};
use crate::app::PageQuery;
use crate::error::ApiResult;
use crate::extract::{Body, CurrentUser, Params, Path, QueryPairs};
use crate::replies::Status;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/memories", get(list).post(create_v1))
        .route(
            "/v1/memories/{id}",
            get(get_one).put(update).delete(delete_one),
        )
        .route("/v1/memories/{id}/history", get(history))
        .route("/v3/memories", get(list).post(create_v3).delete(delete_all))
        .route("/v3/memories/batch", post(create_batch))
        .route("/v3/memories/{id}", patch(edit_content).delete(delete_one))
        .route("/v3/memories/{id}/review", post(review))
        .route("/v3/memories/{id}/visibility", patch(change_visibility))
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<PageQuery>,
    pairs: QueryPairs,
) -> ApiResult<Json<Vec<MemoryView>>> {
    let page = memories::APP_PAGE.page(query.limit, query.offset)?;
    let names = pairs.all("categories");
    let categories = memories::categories(names.iter().map(String::as_str))
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

#[derive(Deserialize)]
struct Batch {
    memories: Vec<MemoryInput>,
}

#[derive(Serialize)]
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
) -> ApiResult<Json<MemoryView>> {
    Ok(Json(memories::read(&state, &user.uid, &id).await?))
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

#[derive(Serialize)]
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

#[derive(Deserialize)]
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

#[derive(Deserialize)]
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
