//! Goals (spec §7.14, `routers/goals.py`): the current goal, the active ones, create, edit, progress with its
//! history, delete, and the model's suggestion, advice and progress read from a text (30 requests an hour
//! each).

use aide::axum::routing::{get_with, patch_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_projections::goals::{GoalView, ProgressEntry};
use schemars::JsonSchema;
use serde::Serialize;

use crate::app::goals::intelligence::{
    self, AdviceView, GoalSuggestionView, ProgressExtraction, ProgressText,
};
use crate::app::goals::{self, GoalCreate, GoalUpdate, HistoryQuery, ProgressQuery};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, CurrentUser, Params, Path};
use crate::policies::{self, Policy, GOALS_ADVICE, GOALS_EXTRACT, GOALS_SUGGEST};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/goals",
            get_with(current, |op| {
                op.summary("The current goal (the newest active one), or null")
            })
            .post_with(create, |op| {
                op.summary("Create a goal (at most 3 active: a 4th deactivates the oldest)")
            }),
        )
        .api_route(
            "/v1/goals/all",
            get_with(all, |op| op.summary("The active goals, newest first")),
        )
        .api_route(
            "/v1/goals/suggest",
            get_with(suggest, |op| {
                op.summary("A goal suggested from your memories and conversations")
            }),
        )
        .api_route(
            "/v1/goals/advice",
            get_with(current_advice, |op| {
                op.summary("Advice on the current goal")
            }),
        )
        .api_route(
            "/v1/goals/extract-progress",
            post_with(extract_progress, |op| {
                op.summary("Read progress on the current goal from a text, and record it")
            }),
        )
        .api_route(
            "/v1/goals/{id}",
            patch_with(update, |op| {
                op.summary("Edit a goal (400 when nothing is given)")
            })
            .delete_with(delete_one, |op| op.summary("Delete a goal")),
        )
        .api_route(
            "/v1/goals/{id}/progress",
            patch_with(progress, |op| {
                op.summary("Record progress (?current_value=), kept in the goal's history")
            }),
        )
        .api_route(
            "/v1/goals/{id}/history",
            get_with(history, |op| {
                op.summary("The progress recorded in the last ?days= (30, at most 365)")
            }),
        )
        .api_route(
            "/v1/goals/{id}/advice",
            get_with(goal_advice, |op| op.summary("Advice on a goal")),
        )
        .with_path_items(|item| item.tag("goals"))
}

/// Counts the request under `policy`; 429 past its limit.
async fn within(state: &AppState, policy: Policy, uid: &str) -> ApiResult<()> {
    let decision = policies::count(&state.database, policy, uid)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if decision.allowed {
        Ok(())
    } else {
        Err(policies::refusal(policy))
    }
}

async fn current(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<Option<GoalView>>> {
    Ok(Json(goals::current(&state, &user.uid).await?))
}

async fn all(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<GoalView>>> {
    Ok(Json(goals::active(&state, &user.uid).await?))
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(input): Body<GoalCreate>,
) -> ApiResult<Json<GoalView>> {
    Ok(Json(goals::create(&state, &user.caller(), input).await?))
}

async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(update): Body<GoalUpdate>,
) -> ApiResult<Json<GoalView>> {
    let goal = goals::update(&state, &user.caller(), &id, update, &goals::APP).await?;
    Ok(Json(goal))
}

async fn progress(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<ProgressQuery>,
) -> ApiResult<Json<GoalView>> {
    let goal = goals::record_progress(
        &state,
        &user.caller(),
        &id,
        query.current_value,
        "query.current_value",
    )
    .await?;
    Ok(Json(goal))
}

async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<HistoryQuery>,
) -> ApiResult<Json<Vec<ProgressEntry>>> {
    Ok(Json(
        goals::history(&state, &user.uid, &id, query.days).await?,
    ))
}

/// `{success: true, deleted_id}`.
#[derive(Serialize, JsonSchema)]
struct Deleted {
    success: bool,
    deleted_id: String,
}

async fn delete_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Deleted>> {
    goals::delete(&state, &user.caller(), &id).await?;
    Ok(Json(Deleted {
        success: true,
        deleted_id: id,
    }))
}

async fn suggest(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<GoalSuggestionView>> {
    within(&state, GOALS_SUGGEST, &user.uid).await?;
    Ok(Json(intelligence::suggest(&state, &user.uid).await?))
}

async fn current_advice(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<AdviceView>> {
    within(&state, GOALS_ADVICE, &user.uid).await?;
    Ok(Json(intelligence::advice(&state, &user.uid, None).await?))
}

async fn goal_advice(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<AdviceView>> {
    within(&state, GOALS_ADVICE, &user.uid).await?;
    Ok(Json(
        intelligence::advice(&state, &user.uid, Some(&id)).await?,
    ))
}

async fn extract_progress(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(input): Body<ProgressText>,
) -> ApiResult<Json<ProgressExtraction>> {
    within(&state, GOALS_EXTRACT, &user.uid).await?;
    Ok(Json(
        intelligence::extract_progress(&state, &user.caller(), input).await?,
    ))
}
