//! `/v1/dev/user/action-items`: list, create, batch create, patch and delete the user's standalone action
//! items (spec §7.4). Items created here belong to no conversation.

use aide::axum::routing::{get_with, patch_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use omi_domain::api_key::Scope;
use omi_domain::Patch;
use omi_projections::action_items::ActionItemView;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::action_items::{
    self, ActionItemInput, ActionItemUpdate, ListQuery, DEVELOPER, DEVELOPER_PAGE,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Params, Path};
use crate::key_auth::KeyHolder;
use crate::replies::Success;
use crate::state::AppState;
use crate::time_input::InputTime;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/dev/user/action-items",
            get_with(list, |op| {
                op.summary("List action items (conversation_id, completed, start_date, end_date)")
            })
            .post_with(create, |op| op.summary("Create an action item")),
        )
        .api_route(
            "/v1/dev/user/action-items/batch",
            post_with(create_batch, |op| {
                op.summary("Create up to 50 action items")
            }),
        )
        .api_route(
            "/v1/dev/user/action-items/{id}",
            patch_with(update, |op| {
                op.summary("Edit an action item (null due_at clears it)")
            })
            .delete_with(delete_one, |op| op.summary("Delete an action item")),
        )
}

/// The developer API's action-item shape (spec §7.4).
#[derive(Serialize, JsonSchema)]
struct DeveloperActionItem {
    id: String,
    description: String,
    completed: bool,
    #[serde(with = "omi_projections::time::iso")]
    #[schemars(with = "DateTime<Utc>")]
    created_at: DateTime<Utc>,
    #[serde(with = "omi_projections::time::iso")]
    #[schemars(with = "DateTime<Utc>")]
    updated_at: DateTime<Utc>,
    #[serde(with = "omi_projections::time::iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    due_at: Option<DateTime<Utc>>,
    #[serde(with = "omi_projections::time::iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    completed_at: Option<DateTime<Utc>>,
    conversation_id: Option<String>,
}

impl From<ActionItemView> for DeveloperActionItem {
    fn from(item: ActionItemView) -> Self {
        Self {
            id: item.id,
            description: item.description,
            completed: item.completed,
            created_at: item.created_at,
            updated_at: item.updated_at,
            due_at: item.due_at,
            completed_at: item.completed_at,
            conversation_id: item.conversation_id,
        }
    }
}

#[derive(Deserialize, JsonSchema)]
struct ListParams {
    limit: Option<i64>,
    offset: Option<i64>,
    completed: Option<bool>,
    conversation_id: Option<String>,
    /// The earliest time (ISO-8601, or a date).
    start_date: Option<InputTime>,
    /// The latest time (ISO-8601, or a date).
    end_date: Option<InputTime>,
}

/// Newest first; locked items are left out (nothing locks items yet, so pages stay full).
async fn list(
    State(state): State<AppState>,
    key: KeyHolder,
    query: Result<Params<ListParams>, ApiError>,
) -> ApiResult<Json<Vec<DeveloperActionItem>>> {
    key.require(Scope::ActionItemsRead)?;
    let Params(query) = query?;
    let page = DEVELOPER_PAGE.page(query.limit, query.offset)?;
    let filter = ListQuery {
        completed: query.completed,
        conversation_id: query.conversation_id,
        start_date: query.start_date,
        end_date: query.end_date,
        ..ListQuery::default()
    };
    let found = action_items::list(&state, &key.uid, filter, page).await?;
    Ok(Json(
        found
            .items
            .into_iter()
            .filter(|item| !item.is_locked)
            .map(DeveloperActionItem::from)
            .collect(),
    ))
}

/// A new item as the developer API takes it: standalone, in no conversation.
#[derive(Deserialize, JsonSchema)]
struct NewItem {
    description: String,
    #[serde(default)]
    completed: bool,
    /// ISO-8601, or a date.
    #[serde(default)]
    due_at: Option<InputTime>,
}

impl From<NewItem> for ActionItemInput {
    fn from(item: NewItem) -> Self {
        Self {
            description: item.description,
            completed: item.completed,
            due_at: item.due_at,
            conversation_id: None,
        }
    }
}

async fn create(
    State(state): State<AppState>,
    key: KeyHolder,
    body: Result<Body<NewItem>, ApiError>,
) -> ApiResult<Json<DeveloperActionItem>> {
    key.require(Scope::ActionItemsWrite)?;
    let Body(item) = body?;
    let item = action_items::create(&state, &key.caller(), item.into(), &DEVELOPER).await?;
    Ok(Json(item.into()))
}

#[derive(Deserialize, JsonSchema)]
struct Batch {
    action_items: Vec<NewItem>,
}

#[derive(Serialize, JsonSchema)]
struct BatchCreated {
    action_items: Vec<DeveloperActionItem>,
    created_count: usize,
}

async fn create_batch(
    State(state): State<AppState>,
    key: KeyHolder,
    body: Result<Body<Batch>, ApiError>,
) -> ApiResult<Json<BatchCreated>> {
    key.require(Scope::ActionItemsWrite)?;
    let Body(batch) = body?;
    let inputs = batch.action_items.into_iter().map(Into::into).collect();
    let created = action_items::create_batch(
        &state,
        &key.caller(),
        inputs,
        &DEVELOPER,
        "body.action_items",
    )
    .await?;
    Ok(Json(BatchCreated {
        created_count: created.len(),
        action_items: created.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize, JsonSchema)]
struct ItemUpdate {
    description: Option<String>,
    completed: Option<bool>,
    /// ISO-8601, or a date; `null` clears the due date.
    #[serde(default)]
    due_at: Patch<InputTime>,
}

async fn update(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
    body: Result<Body<ItemUpdate>, ApiError>,
) -> ApiResult<Json<DeveloperActionItem>> {
    key.require(Scope::ActionItemsWrite)?;
    let Body(body) = body?;
    let update = ActionItemUpdate {
        description: body.description,
        completed: body.completed,
        due_at: body.due_at,
        ..ActionItemUpdate::default()
    };
    let item = action_items::update(&state, &key.caller(), &id, update, &DEVELOPER).await?;
    Ok(Json(item.into()))
}

async fn delete_one(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
) -> ApiResult<Json<Success>> {
    key.require(Scope::ActionItemsWrite)?;
    action_items::delete(&state, &key.caller(), &id).await?;
    Ok(Json(Success::yes()))
}
