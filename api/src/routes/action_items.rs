//! Action items, the standalone task list (spec §2.3, §6.2).

use aide::axum::routing::{get_with, patch_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::response::NoContent;
use axum::Json;
use omi_projections::action_items::ActionItemView;
use omi_projections::history::ActionItemHistory;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::action_items::{self, ActionItemInput, ActionItemUpdate, ListQuery};
use crate::app::history::AsOfQuery;
use crate::error::ApiResult;
use crate::extract::{Body, CurrentUser, Params, Path};
use crate::state::AppState;
use crate::time_input::InputTime;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/action-items",
            get_with(list, |op| {
                op.summary("List action items with filters and has_more")
            })
            .post_with(create, |op| op.summary("Create an action item")),
        )
        .api_route(
            "/v1/action-items/batch",
            post_with(create_batch, |op| op.summary("Create several action items")),
        )
        .api_route(
            "/v1/action-items/{id}",
            get_with(get_one, |op| {
                op.summary("Get an action item, now or as it stood at ?as_of=")
            })
            .patch_with(update, |op| {
                op.summary("Update an action item (null due_at clears it)")
            })
            .put_with(update, |op| op.summary("Update an action item"))
            .delete_with(delete_one, |op| op.summary("Delete an action item")),
        )
        .api_route(
            "/v1/action-items/{id}/history",
            get_with(history, |op| {
                op.summary("Every version of an action item, kept after deletion")
            }),
        )
        .api_route(
            "/v1/action-items/{id}/completed",
            patch_with(set_completed, |op| {
                op.summary("Complete or reopen (?completed=bool)")
            }),
        )
        .with_path_items(|item| item.tag("action items"))
}

/// The list's page and filters; `status` is `pending` or `completed`, the app's other spelling of `completed`.
#[derive(Deserialize, JsonSchema)]
struct ListParams {
    limit: Option<i64>,
    offset: Option<i64>,
    completed: Option<bool>,
    status: Option<String>,
    conversation_id: Option<String>,
    start_date: Option<InputTime>,
    end_date: Option<InputTime>,
    due_start_date: Option<InputTime>,
    due_end_date: Option<InputTime>,
}

#[derive(Serialize, JsonSchema)]
struct ItemPage {
    action_items: Vec<ActionItemView>,
    has_more: bool,
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<ListParams>,
) -> ApiResult<Json<ItemPage>> {
    let page = action_items::APP_PAGE.page(query.limit, query.offset)?;
    let filter = ListQuery {
        completed: query.completed,
        status: query.status,
        conversation_id: query.conversation_id,
        start_date: query.start_date,
        end_date: query.end_date,
        due_start_date: query.due_start_date,
        due_end_date: query.due_end_date,
    };
    let found = action_items::list(&state, &user.uid, filter, page).await?;
    Ok(Json(ItemPage {
        action_items: found.items,
        has_more: found.has_more,
    }))
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(input): Body<ActionItemInput>,
) -> ApiResult<Json<ActionItemView>> {
    let item = action_items::create(&state, &user.caller(), input, &action_items::APP).await?;
    Ok(Json(item))
}

#[derive(Serialize, JsonSchema)]
struct BatchCreated {
    action_items: Vec<ActionItemView>,
    created_count: usize,
}

/// Items of a batch are created open, whatever they say (as the reference does).
async fn create_batch(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(inputs): Body<Vec<ActionItemInput>>,
) -> ApiResult<Json<BatchCreated>> {
    let inputs = inputs
        .into_iter()
        .map(|input| ActionItemInput {
            completed: false,
            ..input
        })
        .collect();
    let created =
        action_items::create_batch(&state, &user.caller(), inputs, &action_items::APP, "body")
            .await?;
    Ok(Json(BatchCreated {
        created_count: created.len(),
        action_items: created,
    }))
}

async fn get_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<AsOfQuery>,
) -> ApiResult<Json<ActionItemView>> {
    Ok(Json(
        action_items::read_at(&state, &user.uid, &id, query.instant()).await?,
    ))
}

async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ActionItemHistory>> {
    Ok(Json(
        action_items::item_history(&state, &user.uid, &id).await?,
    ))
}

async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(update): Body<ActionItemUpdate>,
) -> ApiResult<Json<ActionItemView>> {
    let item =
        action_items::update(&state, &user.caller(), &id, update, &action_items::APP).await?;
    Ok(Json(item))
}

#[derive(Deserialize, JsonSchema)]
struct CompletedQuery {
    completed: bool,
}

async fn set_completed(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<CompletedQuery>,
) -> ApiResult<Json<ActionItemView>> {
    let item = action_items::set_completed(&state, &user.caller(), &id, query.completed).await?;
    Ok(Json(item))
}

async fn delete_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<NoContent> {
    action_items::delete(&state, &user.caller(), &id).await?;
    Ok(NoContent)
}
