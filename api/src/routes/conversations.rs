//! Conversations (spec §6.1): reads of the conversation read model, edits through the conversation aggregate,
//! imports, and the processing hand-offs (closing the in-progress conversation, reprocess, merge).
//!
//! Every write goes through the aggregate and every read through the read model; another user's conversation
//! answers 404 as if it did not exist.

mod answers;
mod edits;
mod lifecycle;

use aide::axum::routing::{get_with, patch_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::response::NoContent;
use axum::Json;
use omi_domain::conversation::{
    ConversationCommand, ConversationSource, ConversationStatus, ConversationVisibility,
};
use omi_projections::conversations::{self, ConversationFilter, ConversationView};
use omi_projections::history::ConversationHistory;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Body, CurrentUser, Params, Path, QueryLists};
use crate::replies::Status;
use crate::state::AppState;
use crate::time_input::{now, InputTime};
use answers::{Changed, ListDocuments, Photos, Recording, RequiredText, SharedConversation};

use crate::app::conversations::{self as app, Imported, SegmentsImportInput, TextImportInput};
use crate::app::history::AsOfQuery;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/conversations",
            get_with(list, |op| op.summary("List conversations, newest first"))
                .post_with(lifecycle::close_in_progress, |op| {
                    op.summary("Close and process the in-progress conversation")
                }),
        )
        .api_route(
            "/v1/conversations/from-segments",
            post_with(import_segments, |op| {
                op.summary("Import a conversation from transcript segments")
            }),
        )
        .api_route(
            "/v1/conversations/from-text",
            post_with(import_text, |op| {
                op.summary("Import a conversation from text")
            }),
        )
        .api_route(
            "/v1/conversations/merge",
            post_with(lifecycle::merge, |op| {
                op.summary("Merge conversations into a new one")
            }),
        )
        .api_route(
            "/v1/conversations/{id}",
            get_with(get_one, |op| {
                op.summary("Get a conversation with its transcript, now or as it stood at ?as_of=")
            })
            .delete_with(delete_one, |op| op.summary("Delete a conversation")),
        )
        .api_route(
            "/v1/conversations/{id}/history",
            get_with(history, |op| {
                op.summary("Every version of a conversation, kept after deletion")
            }),
        )
        .api_route(
            "/v1/conversations/{id}/reprocess",
            post_with(lifecycle::reprocess, |op| {
                op.summary("Process a conversation again")
            }),
        )
        .api_route(
            "/v1/conversations/{id}/title",
            patch_with(edit_title, |op| op.summary("Rename (?title=)")),
        )
        .api_route(
            "/v1/conversations/{id}/overview",
            patch_with(edit_overview, |op| op.summary("Edit the overview")),
        )
        .api_route(
            "/v1/conversations/{id}/segments/{segment}/text",
            patch_with(edits::segment_text, |op| {
                op.summary("Edit a segment's text")
            }),
        )
        .api_route(
            "/v1/conversations/{id}/segments/{segment}/assign",
            patch_with(edits::assign_segment, |op| {
                op.summary("Assign a segment to the user or a person")
            }),
        )
        .api_route(
            "/v1/conversations/{id}/segments/assign-bulk",
            patch_with(edits::assign_bulk, |op| {
                op.summary("Assign several segments")
            }),
        )
        .api_route(
            "/v1/conversations/{id}/assign-speaker/{speaker_id}",
            patch_with(edits::assign_speaker, |op| {
                op.summary("Assign every segment of a speaker")
            }),
        )
        .api_route(
            "/v1/conversations/{id}/events",
            patch_with(edits::events, |op| {
                op.summary("Mark events as added to the calendar")
            }),
        )
        .api_route(
            "/v1/conversations/{id}/action-items",
            get_with(edits::action_items, |op| {
                op.summary("The conversation's standalone action items")
            })
            .patch_with(edits::complete_action_items, |op| {
                op.summary("Complete embedded action items")
            })
            .delete_with(edits::remove_action_items, |op| {
                op.summary("Remove embedded action items by description")
            }),
        )
        .api_route(
            "/v1/conversations/{id}/action-items/{index}",
            patch_with(edits::rename_action_item, |op| {
                op.summary("Rename an embedded action item")
            }),
        )
        .api_route(
            "/v1/conversations/{id}/visibility",
            patch_with(change_visibility, |op| {
                op.summary("Private, shared or public (?value=)")
            }),
        )
        .api_route(
            "/v1/conversations/{id}/shared",
            get_with(shared, |op| op.summary("Read a shared conversation")),
        )
        .api_route(
            "/v1/public-conversations",
            get_with(public, |op| op.summary("Shared and public conversations")),
        )
        .api_route(
            "/v1/conversations/{id}/starred",
            patch_with(star, |op| op.summary("Star or unstar (?starred=bool)")),
        )
        .api_route(
            "/v1/conversations/{id}/photos",
            get_with(photos, |op| op.summary("Photos (none are captured yet)")),
        )
        .api_route(
            "/v1/conversations/{id}/recording",
            get_with(recording, |op| op.summary("Whether audio is stored")),
        )
        .with_path_items(|item| item.tag("conversations"))
}

/// The most conversations one page returns.
const MAX_LIMIT: i64 = 1_000;

/// `{"status": "Ok"}`, the answer of most edits.
fn ok() -> Json<Status> {
    Json(Status::ok_capitalized())
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

/// A page of the list and its filters; `include_discarded` is true unless said otherwise.
#[derive(Deserialize, JsonSchema)]
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

/// The statuses a list shows (`processing` and `completed` when none is given).
#[derive(Deserialize, JsonSchema)]
struct StatusFilter {
    #[serde(default)]
    statuses: Vec<String>,
}

/// The statuses a list shows: the `statuses` csv (repeatable), `processing,completed` when empty.
fn statuses(names: Vec<String>, problems: &mut Vec<Problem>) -> Vec<ConversationStatus> {
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
    QueryLists(filter): QueryLists<StatusFilter>,
) -> ApiResult<ListDocuments> {
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
    let statuses = statuses(filter.statuses, &mut problems);
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
    Ok(ListDocuments::of(&page))
}

async fn get_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<AsOfQuery>,
) -> ApiResult<Json<ConversationView>> {
    Ok(Json(
        app::read_at(&state, &user.uid, &id, query.instant()).await?,
    ))
}

async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ConversationHistory>> {
    Ok(Json(
        app::conversation_history(&state, &user.uid, &id).await?,
    ))
}

async fn delete_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<NoContent> {
    app::delete(&state, &user.caller(), &id).await?;
    Ok(NoContent)
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

#[derive(Deserialize, JsonSchema)]
struct TitleQuery {
    title: String,
}

async fn edit_title(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<TitleQuery>,
) -> ApiResult<Json<Changed>> {
    if query.title.trim().is_empty() {
        return Err(ApiError::invalid("query.title", "Title cannot be empty"));
    }
    app::edit_title(&state, &user.caller(), &id, query.title).await?;
    let conversation = read(&state, &user.uid, &id).await?;
    Ok(Json(Changed::new(conversation)))
}

/// The new overview.
#[derive(Deserialize, JsonSchema)]
struct OverviewBody {
    #[serde(default)]
    #[schemars(required)]
    overview: RequiredText,
}

async fn edit_overview(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(body): Body<OverviewBody>,
) -> ApiResult<Json<Status>> {
    let overview = body.overview.or_missing("Missing overview")?;
    let command = ConversationCommand::EditOverview {
        uid: user.uid.clone(),
        overview,
        at: now(),
    };
    run(&state, &user, &id, command).await?;
    Ok(ok())
}

#[derive(Deserialize, JsonSchema)]
struct VisibilityQuery {
    /// `private`, `shared` or `public`.
    value: String,
}

async fn change_visibility(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<VisibilityQuery>,
) -> ApiResult<Json<Status>> {
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
async fn shared(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SharedConversation>> {
    let view = conversations::shared(&state.database, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Conversation is private".into()))?;
    Ok(Json(SharedConversation::new(view)))
}

#[derive(Deserialize, JsonSchema)]
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

#[derive(Deserialize, JsonSchema)]
struct StarredQuery {
    starred: bool,
}

async fn star(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<StarredQuery>,
) -> ApiResult<Json<Changed>> {
    let command = ConversationCommand::Star {
        uid: user.uid.clone(),
        starred: query.starred,
        at: now(),
    };
    run(&state, &user, &id, command).await?;
    let conversation = read(&state, &user.uid, &id).await?;
    Ok(Json(Changed::new(conversation)))
}

/// Photos are not captured yet: always none.
async fn photos(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Photos>> {
    read(&state, &user.uid, &id).await?;
    Ok(Json(Photos::default()))
}

/// Audio is not stored yet: never a recording.
async fn recording(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Recording>> {
    read(&state, &user.uid, &id).await?;
    Ok(Json(Recording {
        has_recording: false,
    }))
}
