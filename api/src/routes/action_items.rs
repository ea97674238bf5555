//! Action items, the standalone task list (spec §2.3, §6.2).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use chrono::Utc;
use omi_commands::Metadata;
use omi_domain::action_item::{ActionItem, ActionItemCommand};
use omi_domain::Patch;
use omi_projections::action_items::{self, ActionItemFilter, ActionItemView};
use omi_projections::conversations;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Body, CurrentUser, Params, Path};
use crate::state::AppState;
use crate::time_input::{now, InputTime};

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/action-items", get(list).post(create))
        .route("/v1/action-items/batch", post(create_batch))
        .route(
            "/v1/action-items/{id}",
            get(get_one).patch(update).put(update).delete(delete_one),
        )
        .route("/v1/action-items/{id}/completed", patch(set_completed))
}

const MAX_LIMIT: i64 = 500;
const MAX_BATCH: usize = 100;

/// An action item as clients send it.
#[derive(Debug, Deserialize)]
pub struct ActionItemInput {
    pub description: String,
    #[serde(default)]
    pub completed: bool,
    #[serde(default)]
    pub due_at: Option<InputTime>,
    #[serde(default)]
    pub conversation_id: Option<String>,
}

impl ActionItemInput {
    /// The command that creates this item with a fresh id, or the problem with it (reported at `loc`).
    pub fn into_command(
        self,
        uid: &str,
        loc: &str,
        problems: &mut Vec<Problem>,
    ) -> Option<(String, ActionItemCommand)> {
        if self.description.trim().is_empty() {
            problems.push(Problem::new(
                &format!("{loc}.description"),
                "Action item description cannot be empty",
            ));
            return None;
        }
        let command = ActionItemCommand::CreateActionItem {
            uid: uid.to_string(),
            description: self.description,
            completed: self.completed,
            due_at: self.due_at.map(|t| t.0),
            conversation_id: self.conversation_id.filter(|id| !id.is_empty()),
            at: now(),
        };
        Some((Uuid::new_v4().to_string(), command))
    }
}

/// The problems of inputs that point at a conversation the user does not have (another user's, a deleted or
/// merged one, or an id that names none), each at `{loc}.conversation_id` of its `(loc, input)`. An action item
/// may only be linked to a conversation of its own user.
pub(crate) async fn check_conversations(
    state: &AppState,
    uid: &str,
    inputs: &[(String, &ActionItemInput)],
) -> ApiResult<Vec<Problem>> {
    let mut problems = Vec::new();
    let mut known: Vec<(&str, bool)> = Vec::new();
    for (loc, input) in inputs {
        let Some(id) = input.conversation_id.as_deref().filter(|id| !id.is_empty()) else {
            continue;
        };
        let exists = match known.iter().find(|(seen, _)| *seen == id) {
            Some(&(_, exists)) => exists,
            None => {
                let exists = conversations::processing_state(&state.database, uid, id)
                    .await?
                    .is_some();
                known.push((id, exists));
                exists
            }
        };
        if !exists {
            problems.push(Problem::new(
                &format!("{loc}.conversation_id"),
                "Conversation not found",
            ));
        }
    }
    Ok(problems)
}

/// The user's action item, or 404.
pub(crate) async fn read(state: &AppState, uid: &str, id: &str) -> ApiResult<ActionItemView> {
    action_items::get(&state.database, uid, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Action item not found".into()))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
    completed: Option<bool>,
    status: Option<String>,
    conversation_id: Option<String>,
    start_date: Option<InputTime>,
    end_date: Option<InputTime>,
    due_start_date: Option<InputTime>,
    due_end_date: Option<InputTime>,
}

fn default_limit() -> i64 {
    50
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<ListQuery>,
) -> ApiResult<Json<Value>> {
    let mut problems = Vec::new();
    if !(1..=MAX_LIMIT).contains(&query.limit) {
        problems.push(Problem::new(
            "query.limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    if query.offset < 0 {
        problems.push(Problem::new("query.offset", "offset must not be negative"));
    }
    let status = match query.status.as_deref() {
        None => None,
        Some("pending") => Some(false),
        Some("completed") => Some(true),
        Some(_) => {
            problems.push(Problem::new(
                "query.status",
                "status must be 'pending' or 'completed'",
            ));
            None
        }
    };
    if let (Some(completed), Some(status)) = (query.completed, status) {
        if completed != status {
            problems.push(Problem::new("query.status", "status contradicts completed"));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let filter = ActionItemFilter {
        completed: query.completed.or(status),
        conversation_id: query.conversation_id,
        created_from: query.start_date.map(|t| t.0),
        created_to: query.end_date.map(|t| t.0),
        due_from: query.due_start_date.map(|t| t.0),
        due_to: query.due_end_date.map(|t| t.0),
    };
    let page = action_items::list(
        &state.database,
        &user.uid,
        &filter,
        query.limit,
        query.offset,
    )
    .await?;
    Ok(Json(
        json!({ "action_items": page.items, "has_more": page.has_more }),
    ))
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(input): Body<ActionItemInput>,
) -> ApiResult<Json<ActionItemView>> {
    let mut problems = check_conversations(&state, &user.uid, &[("body".into(), &input)]).await?;
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let Some((id, command)) = input.into_command(&user.uid, "body", &mut problems) else {
        return Err(ApiError::Validation(problems));
    };
    state
        .execute::<ActionItem>(&id, command, &user.metadata())
        .await?;
    Ok(Json(read(&state, &user.uid, &id).await?))
}

async fn create_batch(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(inputs): Body<Vec<ActionItemInput>>,
) -> ApiResult<Json<Value>> {
    if inputs.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "body",
            format!("at most {MAX_BATCH} action items per batch"),
        ));
    }
    let located: Vec<(String, &ActionItemInput)> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| (format!("body.{i}"), input))
        .collect();
    let mut problems = check_conversations(&state, &user.uid, &located).await?;
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let commands: Vec<_> = inputs
        .into_iter()
        .enumerate()
        .filter_map(|(i, mut input)| {
            input.completed = false;
            input.into_command(&user.uid, &format!("body.{i}"), &mut problems)
        })
        .collect();
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let created = create_all(&state, &user.uid, &user.metadata(), commands).await?;
    Ok(Json(
        json!({ "action_items": created, "created_count": created.len() }),
    ))
}

/// Runs validated create commands (`(id, command)`), waits once for the read model, and reads the items back
/// in order.
pub(crate) async fn create_all(
    state: &AppState,
    uid: &str,
    metadata: &Metadata,
    commands: Vec<(String, ActionItemCommand)>,
) -> ApiResult<Vec<ActionItemView>> {
    let ids = state.create_all::<ActionItem>(commands, metadata).await?;
    let mut created = Vec::with_capacity(ids.len());
    for id in &ids {
        created.push(read(state, uid, id).await?);
    }
    Ok(created)
}

async fn get_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ActionItemView>> {
    Ok(Json(read(&state, &user.uid, &id).await?))
}

#[derive(Deserialize)]
struct ActionItemUpdate {
    description: Option<String>,
    completed: Option<bool>,
    #[serde(default)]
    due_at: Patch<InputTime>,
    exported: Option<bool>,
    #[serde(default)]
    export_date: Patch<InputTime>,
    #[serde(default)]
    export_platform: Patch<String>,
}

/// A patch of a client timestamp as a patch of the time.
pub(crate) fn times(patch: Patch<InputTime>) -> Patch<chrono::DateTime<Utc>> {
    match patch {
        Patch::Keep => Patch::Keep,
        Patch::Clear => Patch::Clear,
        Patch::Set(at) => Patch::Set(at.0),
    }
}

async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(body): Body<ActionItemUpdate>,
) -> ApiResult<Json<ActionItemView>> {
    let command = ActionItemCommand::UpdateActionItem {
        uid: user.uid.clone(),
        description: body.description,
        completed: body.completed,
        due_at: times(body.due_at),
        exported: body.exported,
        export_date: times(body.export_date),
        export_platform: body.export_platform,
        at: now(),
    };
    state
        .execute::<ActionItem>(&id, command, &user.metadata())
        .await?;
    Ok(Json(read(&state, &user.uid, &id).await?))
}

#[derive(Deserialize)]
struct CompletedQuery {
    completed: bool,
}

async fn set_completed(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<CompletedQuery>,
) -> ApiResult<Json<ActionItemView>> {
    let command = ActionItemCommand::UpdateActionItem {
        uid: user.uid.clone(),
        description: None,
        completed: Some(query.completed),
        due_at: Patch::Keep,
        exported: None,
        export_date: Patch::Keep,
        export_platform: Patch::Keep,
        at: now(),
    };
    state
        .execute::<ActionItem>(&id, command, &user.metadata())
        .await?;
    Ok(Json(read(&state, &user.uid, &id).await?))
}

async fn delete_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let command = ActionItemCommand::DeleteActionItem {
        uid: user.uid.clone(),
        at: now(),
    };
    state
        .execute::<ActionItem>(&id, command, &user.metadata())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
