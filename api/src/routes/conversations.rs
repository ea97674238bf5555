//! Conversations (spec §6.1): reads of the conversation read model, edits through the conversation aggregate,
//! imports, and the processing hand-offs (closing the in-progress conversation, reprocess, merge).
//!
//! Every write goes through the aggregate and every read through the read model; another user's conversation
//! answers 404 as if it did not exist.

mod edits;
mod lifecycle;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use omi_domain::conversation::{
    ConversationCommand, ConversationSource, ConversationStatus, ConversationVisibility,
};
use omi_projections::conversations::{self, ConversationFilter, ConversationView};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Body, CurrentUser, Params, Path, QueryPairs};
use crate::state::AppState;
use crate::time_input::{now, InputTime};

use crate::app::conversations::{self as app, Imported, SegmentsImportInput, TextImportInput};

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/conversations",
            get(list).post(lifecycle::close_in_progress),
        )
        .route("/v1/conversations/from-segments", post(import_segments))
        .route("/v1/conversations/from-text", post(import_text))
        .route("/v1/conversations/merge", post(lifecycle::merge))
        .route("/v1/conversations/{id}", get(get_one).delete(delete_one))
        .route(
            "/v1/conversations/{id}/reprocess",
            post(lifecycle::reprocess),
        )
        .route("/v1/conversations/{id}/title", patch(edit_title))
        .route("/v1/conversations/{id}/overview", patch(edit_overview))
        .route(
            "/v1/conversations/{id}/segments/{segment}/text",
            patch(edits::segment_text),
        )
        .route(
            "/v1/conversations/{id}/segments/{segment}/assign",
            patch(edits::assign_segment),
        )
        .route(
            "/v1/conversations/{id}/segments/assign-bulk",
            patch(edits::assign_bulk),
        )
        .route(
            "/v1/conversations/{id}/assign-speaker/{speaker_id}",
            patch(edits::assign_speaker),
        )
        .route("/v1/conversations/{id}/events", patch(edits::events))
        .route(
            "/v1/conversations/{id}/action-items",
            get(edits::action_items)
                .patch(edits::complete_action_items)
                .delete(edits::remove_action_items),
        )
        .route(
            "/v1/conversations/{id}/action-items/{index}",
            patch(edits::rename_action_item),
        )
        .route(
            "/v1/conversations/{id}/visibility",
            patch(change_visibility),
        )
        .route("/v1/conversations/{id}/shared", get(shared))
        .route("/v1/public-conversations", get(public))
        .route("/v1/conversations/{id}/starred", patch(star))
        .route("/v1/conversations/{id}/folder", patch(move_to_folder))
        .route("/v1/conversations/{id}/photos", get(photos))
        .route("/v1/conversations/{id}/recording", get(recording))
}

/// The most conversations one page returns.
const MAX_LIMIT: i64 = 1_000;

/// `{"status": "Ok"}`, the answer of most edits.
fn ok() -> Json<Value> {
    Json(json!({ "status": "Ok" }))
}

/// The user's conversation, or 404.
async fn read(state: &AppState, uid: &str, id: &str) -> ApiResult<ConversationView> {
    app::read(state, uid, id).await
}

/// Runs a command on the user's conversation `id` and waits for the read model.
async fn run(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    command: ConversationCommand,
) -> ApiResult<()> {
    app::run(state, &user.caller(), id, command).await
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
    #[serde(default = "yes")]
    include_discarded: bool,
    start_date: Option<InputTime>,
    end_date: Option<InputTime>,
    folder_id: Option<String>,
    starred: Option<bool>,
}

fn default_limit() -> i64 {
    100
}

fn yes() -> bool {
    true
}

/// The statuses a list shows: the `statuses` csv (repeatable), `processing,completed` when empty.
fn statuses(pairs: &QueryPairs, problems: &mut Vec<Problem>) -> Vec<ConversationStatus> {
    let names = pairs.all("statuses");
    if names.is_empty() {
        return vec![
            ConversationStatus::Processing,
            ConversationStatus::Completed,
        ];
    }
    let mut statuses = Vec::new();
    for name in names {
        match ConversationStatus::parse(&name) {
            Some(status) if !statuses.contains(&status) => statuses.push(status),
            Some(_) => {}
            None => problems.push(Problem::new(
                "query.statuses",
                format!(
                    "unknown status {name:?}; expected one of {}",
                    ConversationStatus::ALL.map(|s| s.as_str()).join(", ")
                ),
            )),
        }
    }
    statuses
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<ListQuery>,
    pairs: QueryPairs,
) -> ApiResult<impl IntoResponse> {
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
    let statuses = statuses(&pairs, &mut problems);
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let filter = ConversationFilter {
        statuses,
        include_discarded: query.include_discarded,
        start: query.start_date.map(|t| t.0),
        end: query.end_date.map(|t| t.0),
        folder_id: query.folder_id.filter(|f| !f.is_empty()),
        starred: query.starred,
    };
    // The stored list documents are already the answer's JSON: pass them through unparsed.
    let page = conversations::list_documents(
        &state.database,
        &user.uid,
        &filter,
        query.limit,
        query.offset,
    )
    .await?;
    if page.iter().any(|doc| doc.is_empty()) {
        return Err(ApiError::Internal(
            "a conversation list document is unreadable".into(),
        ));
    }
    let body = format!("[{}]", page.join(","));
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    ))
}

async fn get_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ConversationView>> {
    Ok(Json(read(&state, &user.uid, &id).await?))
}

async fn delete_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app::delete(&state, &user.caller(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn import_segments(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(input): Body<SegmentsImportInput>,
) -> ApiResult<Json<Imported>> {
    let import = input.into_import(&user.uid, ConversationSource::ExternalIntegration, now())?;
    Ok(Json(app::import(&state, &user.caller(), import).await?))
}

async fn import_text(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(input): Body<TextImportInput>,
) -> ApiResult<Json<Imported>> {
    let import = input.into_import(&user.uid, ConversationSource::ExternalIntegration, now())?;
    Ok(Json(app::import(&state, &user.caller(), import).await?))
}

#[derive(Deserialize)]
struct TitleQuery {
    title: String,
}

async fn edit_title(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<TitleQuery>,
) -> ApiResult<Json<Value>> {
    if query.title.trim().is_empty() {
        return Err(ApiError::invalid("query.title", "Title cannot be empty"));
    }
    app::edit_title(&state, &user.caller(), &id, query.title).await?;
    let conversation = read(&state, &user.uid, &id).await?;
    Ok(Json(
        json!({ "status": "Ok", "conversation": conversation }),
    ))
}

/// A non-empty string field of a JSON object body, else 400 `missing`.
pub(crate) fn required_text(body: &Value, field: &str, missing: &str) -> ApiResult<String> {
    body.get(field)
        .and_then(Value::as_str)
        .filter(|text| !text.trim().is_empty())
        .map(String::from)
        .ok_or_else(|| ApiError::BadRequest(missing.to_string()))
}

async fn edit_overview(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(body): Body<Value>,
) -> ApiResult<Json<Value>> {
    let overview = required_text(&body, "overview", "Missing overview")?;
    let command = ConversationCommand::EditOverview {
        uid: user.uid.clone(),
        overview,
        at: now(),
    };
    run(&state, &user, &id, command).await?;
    Ok(ok())
}

#[derive(Deserialize)]
struct VisibilityQuery {
    value: String,
}

async fn change_visibility(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<VisibilityQuery>,
) -> ApiResult<Json<Value>> {
    let visibility = ConversationVisibility::parse(query.value.trim()).ok_or_else(|| {
        ApiError::BadRequest("Invalid visibility value; use private, shared or public".into())
    })?;
    let command = ConversationCommand::ChangeVisibility {
        uid: user.uid.clone(),
        visibility,
        at: now(),
    };
    run(&state, &user, &id, command).await?;
    Ok(ok())
}

/// No authentication: a conversation its owner shared, without its geolocation, with the people its segments
/// name (none yet: there are no people records).
async fn shared(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let view = conversations::shared(&state.database, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Conversation is private".into()))?;
    let mut body = serde_json::to_value(view).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Value::Object(fields) = &mut body {
        fields.insert("people".into(), json!([]));
    }
    Ok(Json(body))
}

#[derive(Deserialize)]
struct PublicQuery {
    #[serde(default)]
    offset: i64,
    #[serde(default = "public_limit")]
    limit: i64,
}

fn public_limit() -> i64 {
    MAX_LIMIT
}

/// No authentication: the shared and public conversations of all users, newest first, in list form (without
/// transcript segments) and without geolocation.
async fn public(
    State(state): State<AppState>,
    Params(query): Params<PublicQuery>,
) -> ApiResult<Json<Vec<ConversationView>>> {
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
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    Ok(Json(
        conversations::public(&state.database, query.limit, query.offset).await?,
    ))
}

#[derive(Deserialize)]
struct StarredQuery {
    starred: bool,
}

async fn star(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<StarredQuery>,
) -> ApiResult<Json<Value>> {
    let command = ConversationCommand::Star {
        uid: user.uid.clone(),
        starred: query.starred,
        at: now(),
    };
    run(&state, &user, &id, command).await?;
    let conversation = read(&state, &user.uid, &id).await?;
    Ok(Json(
        json!({ "status": "Ok", "conversation": conversation }),
    ))
}

#[derive(Deserialize)]
struct FolderBody {
    #[serde(default)]
    folder_id: Option<String>,
}

/// Moves the conversation into a folder (`null` takes it out). There are no folder records yet, so any id is
/// accepted.
async fn move_to_folder(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(body): Body<FolderBody>,
) -> ApiResult<Json<Value>> {
    let command = ConversationCommand::MoveToFolder {
        uid: user.uid.clone(),
        folder_id: body.folder_id.filter(|f| !f.trim().is_empty()),
        at: now(),
    };
    run(&state, &user, &id, command).await?;
    Ok(Json(json!({ "status": "ok" })))
}

/// Photos are not captured yet: always none.
async fn photos(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    read(&state, &user.uid, &id).await?;
    Ok(Json(json!([])))
}

/// Audio is not stored yet: never a recording.
async fn recording(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    read(&state, &user.uid, &id).await?;
    Ok(Json(json!({ "has_recording": false })))
}
