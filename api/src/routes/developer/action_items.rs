//! `/v1/dev/user/action-items`: list, create, batch create, patch and delete the user's standalone action
//! items (spec §7.4), through the commands and read model of the app's action-item routes. Items created here
//! belong to no conversation.

use axum::extract::State;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use omi_domain::action_item::{ActionItem, ActionItemCommand};
use omi_domain::api_key::Scope;
use omi_domain::Patch;
use omi_projections::action_items::{self, ActionItemFilter, ActionItemView};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{check_length, check_page, success};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Body, Params, Path};
use crate::key_auth::KeyHolder;
use crate::routes::action_items::{self as app, ActionItemInput};
use crate::state::AppState;
use crate::time_input::{now, InputTime};

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/dev/user/action-items", get(list).post(create))
        .route("/v1/dev/user/action-items/batch", post(create_batch))
        .route(
            "/v1/dev/user/action-items/{id}",
            patch(update).delete(delete_one),
        )
}

/// The longest description, in characters.
const MAX_DESCRIPTION: usize = 500;
/// The most items one batch creates.
const MAX_BATCH: usize = 50;

/// The developer API's action-item shape (spec §7.4).
fn shape(item: &ActionItemView) -> Value {
    let time =
        |at: &Option<chrono::DateTime<chrono::Utc>>| at.as_ref().map(omi_projections::time::format);
    json!({
        "id": item.id,
        "description": item.description,
        "completed": item.completed,
        "created_at": omi_projections::time::format(&item.created_at),
        "updated_at": omi_projections::time::format(&item.updated_at),
        "due_at": time(&item.due_at),
        "completed_at": time(&item.completed_at),
        "conversation_id": item.conversation_id,
    })
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
    completed: Option<bool>,
    conversation_id: Option<String>,
    start_date: Option<InputTime>,
    end_date: Option<InputTime>,
}

fn default_limit() -> i64 {
    100
}

/// Newest first; locked items are left out (nothing locks items yet, so pages stay full).
async fn list(
    State(state): State<AppState>,
    key: KeyHolder,
    query: Result<Params<ListQuery>, ApiError>,
) -> ApiResult<Json<Vec<Value>>> {
    key.require(Scope::ActionItemsRead)?;
    let Params(query) = query?;
    check_page(query.limit, query.offset)?;
    let filter = ActionItemFilter {
        completed: query.completed,
        conversation_id: query.conversation_id.filter(|id| !id.trim().is_empty()),
        created_from: query.start_date.map(|t| t.0),
        created_to: query.end_date.map(|t| t.0),
        due_from: None,
        due_to: None,
    };
    let page = action_items::list(
        &state.database,
        &key.uid,
        &filter,
        query.limit,
        query.offset,
    )
    .await?;
    Ok(Json(
        page.items
            .iter()
            .filter(|item| !item.is_locked)
            .map(shape)
            .collect(),
    ))
}

/// A new item as the developer API takes it.
#[derive(Deserialize)]
struct NewItem {
    description: String,
    #[serde(default)]
    completed: bool,
    #[serde(default)]
    due_at: Option<InputTime>,
}

/// The create command of `item` with a fresh id (standalone: no conversation), or its problems at `loc`.
fn command(
    item: NewItem,
    uid: &str,
    loc: &str,
    problems: &mut Vec<Problem>,
) -> Option<(String, ActionItemCommand)> {
    let too_long = item.description.trim().chars().count() > MAX_DESCRIPTION;
    if too_long {
        problems.push(Problem::new(
            &format!("{loc}.description"),
            format!("Action item description must be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    let input = ActionItemInput {
        description: item.description,
        completed: item.completed,
        due_at: item.due_at,
        conversation_id: None,
    };
    input.into_command(uid, loc, problems).filter(|_| !too_long)
}

async fn create(
    State(state): State<AppState>,
    key: KeyHolder,
    body: Result<Body<NewItem>, ApiError>,
) -> ApiResult<Json<Value>> {
    key.require(Scope::ActionItemsWrite)?;
    let Body(item) = body?;
    let mut problems = Vec::new();
    let Some(command) = command(item, &key.uid, "body", &mut problems) else {
        return Err(ApiError::Validation(problems));
    };
    let created = app::create_all(&state, &key.uid, &key.metadata(), vec![command]).await?;
    let item = created
        .first()
        .ok_or_else(|| ApiError::Internal("the created action item was not read back".into()))?;
    Ok(Json(shape(item)))
}

#[derive(Deserialize)]
struct Batch {
    action_items: Vec<NewItem>,
}

async fn create_batch(
    State(state): State<AppState>,
    key: KeyHolder,
    body: Result<Body<Batch>, ApiError>,
) -> ApiResult<Json<Value>> {
    key.require(Scope::ActionItemsWrite)?;
    let Body(batch) = body?;
    if batch.action_items.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "body.action_items",
            format!("at most {MAX_BATCH} action items per batch"),
        ));
    }
    // Validate everything first: an invalid batch writes nothing.
    let mut problems = Vec::new();
    let commands: Vec<_> = batch
        .action_items
        .into_iter()
        .enumerate()
        .filter_map(|(i, item)| {
            command(
                item,
                &key.uid,
                &format!("body.action_items.{i}"),
                &mut problems,
            )
        })
        .collect();
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let created = app::create_all(&state, &key.uid, &key.metadata(), commands).await?;
    Ok(Json(json!({
        "action_items": created.iter().map(shape).collect::<Vec<_>>(),
        "created_count": created.len(),
    })))
}

#[derive(Deserialize)]
struct ItemUpdate {
    description: Option<String>,
    completed: Option<bool>,
    /// `null` clears the due date.
    #[serde(default)]
    due_at: Patch<InputTime>,
}

async fn update(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
    body: Result<Body<ItemUpdate>, ApiError>,
) -> ApiResult<Json<Value>> {
    key.require(Scope::ActionItemsWrite)?;
    let Body(body) = body?;
    if body.description.is_none() && body.completed.is_none() && body.due_at.is_keep() {
        return Err(ApiError::invalid(
            "body",
            "at least one of description, completed, due_at is required",
        ));
    }
    if let Some(description) = &body.description {
        check_length(
            "body.description",
            "description",
            description,
            MAX_DESCRIPTION,
        )?;
    }
    let command = ActionItemCommand::UpdateActionItem {
        uid: key.uid.clone(),
        description: body.description,
        completed: body.completed,
        due_at: app::times(body.due_at),
        exported: None,
        export_date: Patch::Keep,
        export_platform: Patch::Keep,
        at: now(),
    };
    state
        .execute::<ActionItem>(&id, command, &key.metadata())
        .await?;
    Ok(Json(shape(&app::read(&state, &key.uid, &id).await?)))
}

async fn delete_one(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    key.require(Scope::ActionItemsWrite)?;
    let command = ActionItemCommand::DeleteActionItem {
        uid: key.uid.clone(),
        at: now(),
    };
    state
        .execute::<ActionItem>(&id, command, &key.metadata())
        .await?;
    Ok(success())
}
