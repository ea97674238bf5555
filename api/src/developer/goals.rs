//! `/v1/dev/user/goals`: list, read, create, edit, record progress, history and delete the user's goals
//! (spec §7.4), with the scopes `goals:read` and `goals:write`.

use aide::axum::routing::{get_with, patch_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_domain::api_key::Scope;
use omi_projections::goals::{GoalView, ProgressEntry};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::goals::{self, GoalCreate, GoalUpdate, HistoryQuery, ProgressQuery, DEVELOPER};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Params, Path};
use crate::key_auth::KeyHolder;
use crate::replies::Success;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/dev/user/goals",
            get_with(list, |op| {
                op.summary("List goals, newest first (limit 10, include_inactive false)")
            })
            .post_with(create, |op| {
                op.summary("Create a goal (at most 3 active: a 4th deactivates the oldest)")
            }),
        )
        .api_route(
            "/v1/dev/user/goals/{id}",
            get_with(get_one, |op| op.summary("Get a goal"))
                .patch_with(update, |op| {
                    op.summary("Edit a goal (at least one field, else 422)")
                })
                .delete_with(delete_one, |op| op.summary("Delete a goal")),
        )
        .api_route(
            "/v1/dev/user/goals/{id}/progress",
            patch_with(progress, |op| {
                op.summary("Record progress (?current_value=; a JSON body alone is 422)")
            }),
        )
        .api_route(
            "/v1/dev/user/goals/{id}/history",
            get_with(history, |op| {
                op.summary("The progress recorded in the last ?days= (30, at most 365)")
            }),
        )
}

#[derive(Deserialize, JsonSchema)]
struct ListParams {
    limit: Option<i64>,
    #[serde(default)]
    include_inactive: bool,
}

async fn list(
    State(state): State<AppState>,
    key: KeyHolder,
    query: Result<Params<ListParams>, ApiError>,
) -> ApiResult<Json<Vec<GoalView>>> {
    key.require(Scope::GoalsRead)?;
    let Params(query) = query?;
    let found = goals::list(&state, &key.uid, query.include_inactive, query.limit).await?;
    Ok(Json(found))
}

async fn get_one(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
) -> ApiResult<Json<GoalView>> {
    key.require(Scope::GoalsRead)?;
    Ok(Json(goals::read(&state, &key.uid, &id).await?))
}

async fn create(
    State(state): State<AppState>,
    key: KeyHolder,
    body: Result<Body<GoalCreate>, ApiError>,
) -> ApiResult<Json<GoalView>> {
    key.require(Scope::GoalsWrite)?;
    let Body(input) = body?;
    Ok(Json(goals::create(&state, &key.caller(), input).await?))
}

async fn update(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
    body: Result<Body<GoalUpdate>, ApiError>,
) -> ApiResult<Json<GoalView>> {
    key.require(Scope::GoalsWrite)?;
    let Body(update) = body?;
    let goal = goals::update(&state, &key.caller(), &id, update, &DEVELOPER).await?;
    Ok(Json(goal))
}

async fn progress(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
    query: Result<Params<ProgressQuery>, ApiError>,
) -> ApiResult<Json<GoalView>> {
    key.require(Scope::GoalsWrite)?;
    let Params(query) = query?;
    let goal = goals::record_progress(
        &state,
        &key.caller(),
        &id,
        query.current_value,
        "query.current_value",
    )
    .await?;
    Ok(Json(goal))
}

async fn history(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
    query: Result<Params<HistoryQuery>, ApiError>,
) -> ApiResult<Json<Vec<ProgressEntry>>> {
    key.require(Scope::GoalsRead)?;
    let Params(query) = query?;
    Ok(Json(
        goals::history(&state, &key.uid, &id, query.days).await?,
    ))
}

async fn delete_one(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
) -> ApiResult<Json<Success>> {
    key.require(Scope::GoalsWrite)?;
    goals::delete(&state, &key.caller(), &id).await?;
    Ok(Json(Success::yes()))
}
