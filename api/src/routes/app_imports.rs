//! The app import API (spec §7.2, `routers/integration.py`, `routers/notifications.py`), authenticated by the
//! app's `sk_` key: writing conversations and memories into the account of a user who enabled the app, reading
//! their memories, conversations, tasks and search results, and notifying them (10 an hour per app and user).
//! Every endpoint makes the checks of [`crate::app::apps::import_access`] first, in the reference's order, and
//! reads its body after them.

use aide::axum::routing::{get_with, post_with};
use aide::axum::ApiRouter;
use aide::generate::GenContext;
use aide::openapi::Operation;
use aide::OperationInput;
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::Json;
use omi_domain::app::ActionType;
use omi_projections::memories::MemoryView;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::action_items;
use crate::app::apps;
use crate::app::apps::import_access::authorize;
use crate::app::apps::import_api::{self, ConversationItem, ConversationsQuery, MemoriesImport};
use crate::app::conversations::TextImportInput;
use crate::app::search::{self, SearchRequest};
use crate::app::{memories, PageRule};
use crate::error::{error_response, ApiError, ApiResult};
use crate::extract::{Body, Params, Path};
use crate::limited::{Limited, Refused};
use crate::openapi::{ensure_response, ensure_security};
use crate::policies::{self, APP_CONVERSATIONS, APP_MEMORIES, APP_NOTIFICATIONS};
use crate::rate_limit::Decision;
use crate::replies::Status;
use crate::state::AppState;
use crate::time_input::InputTime;
use omi_projections::action_items::ActionItemView;

/// Memories of the import API: 100 by default, at most 1,000.
const MEMORIES_PAGE: PageRule = PageRule::new(100, 1_000);

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v2/integrations/{app_id}/memories",
            get_with(read_memories, |op| {
                op.summary("The memories of a user who enabled the app (needs read_memories)")
            }),
        )
        .api_route(
            "/v2/integrations/{app_id}/user/conversations",
            post_with(create_conversation, |op| {
                op.summary("Write a conversation from text, run through the pipeline (needs create_conversation; 10 an hour per app and user)")
            }),
        )
        .api_route(
            "/v2/integrations/{app_id}/user/memories",
            post_with(create_memories, |op| {
                op.summary("Write memories, given or extracted from a text (needs create_facts; 60 an hour per app and user)")
            }),
        )
        .api_route(
            "/v2/integrations/{app_id}/conversations",
            get_with(read_conversations, |op| {
                op.summary("The conversations of a user who enabled the app (needs read_conversations)")
            }),
        )
        .api_route(
            "/v2/integrations/{app_id}/search/conversations",
            post_with(search_conversations, |op| {
                op.summary("Search a user's conversations (needs read_conversations)")
            }),
        )
        .api_route(
            "/v2/integrations/{app_id}/tasks",
            get_with(read_tasks, |op| {
                op.summary("The action items of a user who enabled the app (needs read_tasks)")
            }),
        )
        .api_route(
            "/v2/integrations/{app_id}/notification",
            post_with(notify, |op| {
                op.summary("Notify a user who enabled the app (?uid=&message=; 10 an hour per app and user)")
            }),
        )
        .api_route(
            "/v1/integrations/notification",
            post_with(notify_v1, |op| {
                op.summary("Notify a user who enabled the app ({uid, aid, message}; 10 an hour per app and user)")
            }),
        )
        .with_path_items(|item| item.tag("integrations"))
}

/// The Authorization header as sent; the checks read it.
struct AppKeyHeader(Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for AppKeyHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(AppKeyHeader(
            parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .map(String::from),
        ))
    }
}

/// The `appKey` security requirement, 401 without a key, 403 for a key of another app or an app the user has
/// not enabled or that lacks the capability, 404 for an unknown app.
impl OperationInput for AppKeyHeader {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        ensure_security(operation, "appKey");
        ensure_response(operation, Some(401), || {
            error_response(ctx, "No sk_ key in the Authorization header")
        });
        ensure_response(operation, Some(403), || {
            error_response(
                ctx,
                "Not a key of this app, or the app is not enabled by the user or lacks the capability",
            )
        });
    }
}

/// `?uid=&limit=&offset=`.
#[derive(Debug, Deserialize, JsonSchema)]
struct MemoriesQuery {
    /// The user whose memories are read; they must have the app enabled.
    uid: String,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `{"memories": [...]}`.
#[derive(Debug, Serialize, JsonSchema)]
struct MemoriesAnswer {
    memories: Vec<MemoryView>,
}

async fn read_memories(
    State(state): State<AppState>,
    key: AppKeyHeader,
    Path(app_id): Path<String>,
    Params(query): Params<MemoriesQuery>,
) -> ApiResult<Json<MemoriesAnswer>> {
    let page = MEMORIES_PAGE.page(query.limit, query.offset)?;
    authorize(
        &state,
        key.0.as_deref(),
        &app_id,
        &query.uid,
        Some(ActionType::ReadMemories),
    )
    .await?;
    let memories = memories::list(&state, &query.uid, &[], page).await?;
    Ok(Json(MemoriesAnswer { memories }))
}

/// `?uid=`.
#[derive(Debug, Deserialize, JsonSchema)]
struct UserQuery {
    /// The user written to; they must have the app enabled.
    uid: String,
}

/// `{}`, the reference's answer to a write.
#[derive(Debug, Serialize, JsonSchema)]
struct Empty {}

async fn create_conversation(
    State(state): State<AppState>,
    key: AppKeyHeader,
    Path(app_id): Path<String>,
    Params(query): Params<UserQuery>,
    body: Result<Body<TextImportInput>, ApiError>,
) -> Result<Limited<Empty>, Refused> {
    let refused = |error: ApiError| Refused(error, None);
    let action = Some(ActionType::CreateConversation);
    authorize(&state, key.0.as_deref(), &app_id, &query.uid, action)
        .await
        .map_err(refused)?;
    let Body(input) = body.map_err(refused)?;
    let caller = import_api::caller(&app_id, &query.uid);
    let import = import_api::conversation_import(&caller, input).map_err(refused)?;
    let decision = admit(&state, APP_CONVERSATIONS, &app_id, &query.uid).await?;
    match import_api::write_conversation(&state, &caller, import).await {
        Ok(()) => Ok(Limited(decision, Json(Empty {}))),
        Err(error) => Err(Refused(error, Some(decision))),
    }
}

/// Counts a request of the app `app_id` for `uid` under `policy` (a body refused before this is not counted);
/// 429 with the headers over the limit.
async fn admit(
    state: &AppState,
    policy: policies::Policy,
    app_id: &str,
    uid: &str,
) -> Result<Decision, Refused> {
    let decision = policies::count(&state.database, policy, &format!("{app_id}:{uid}"))
        .await
        .map_err(|e| Refused(ApiError::Internal(e.to_string()), None))?;
    if !decision.allowed {
        return Err(Refused(policies::refusal(policy), Some(decision)));
    }
    Ok(decision)
}

async fn create_memories(
    State(state): State<AppState>,
    key: AppKeyHeader,
    Path(app_id): Path<String>,
    Params(query): Params<UserQuery>,
    body: Result<Body<MemoriesImport>, ApiError>,
) -> Result<Limited<Empty>, Refused> {
    let refused = |error: ApiError| Refused(error, None);
    let action = Some(ActionType::CreateFacts);
    authorize(&state, key.0.as_deref(), &app_id, &query.uid, action)
        .await
        .map_err(refused)?;
    let Body(input) = body.map_err(refused)?;
    import_api::check_memories_import(&input).map_err(refused)?;
    let decision = admit(&state, APP_MEMORIES, &app_id, &query.uid).await?;
    let caller = import_api::caller(&app_id, &query.uid);
    match import_api::create_memories(&state, &caller, input).await {
        Ok(_) => Ok(Limited(decision, Json(Empty {}))),
        Err(error) => Err(Refused(error, Some(decision))),
    }
}

/// Conversations of the import API: 100 by default, at most 1,000.
const CONVERSATIONS_PAGE: PageRule = PageRule::new(100, 1_000);

/// `?uid=&limit=&offset=&include_discarded=&statuses=&start_date=&end_date=&max_transcript_segments=`.
#[derive(Debug, Deserialize, JsonSchema)]
struct ConversationsParams {
    uid: String,
    limit: Option<i64>,
    offset: Option<i64>,
    #[serde(default)]
    include_discarded: bool,
    /// Comma-separated statuses (`completed`, `processing` …); all when absent.
    statuses: Option<String>,
    /// YYYY-MM-DD (from 00:00:00Z) or ISO-8601.
    start_date: Option<String>,
    /// YYYY-MM-DD (to 23:59:59.999999Z) or ISO-8601.
    end_date: Option<String>,
    /// 100 by default; -1 for all, at most 1,000.
    max_transcript_segments: Option<i64>,
}

/// `{"conversations": [...]}`.
#[derive(Debug, Serialize, JsonSchema)]
struct ConversationsAnswer {
    conversations: Vec<ConversationItem>,
}

async fn read_conversations(
    State(state): State<AppState>,
    key: AppKeyHeader,
    Path(app_id): Path<String>,
    Params(query): Params<ConversationsParams>,
) -> ApiResult<Json<ConversationsAnswer>> {
    let page = CONVERSATIONS_PAGE.page(query.limit, query.offset)?;
    let action = Some(ActionType::ReadConversations);
    authorize(&state, key.0.as_deref(), &app_id, &query.uid, action).await?;
    let filter = ConversationsQuery {
        include_discarded: query.include_discarded,
        statuses: query.statuses,
        start_date: query.start_date,
        end_date: query.end_date,
        max_transcript_segments: query.max_transcript_segments,
    };
    let conversations = import_api::read_conversations(&state, &query.uid, filter, page).await?;
    Ok(Json(ConversationsAnswer { conversations }))
}

/// `?uid=&max_transcript_segments=`.
#[derive(Debug, Deserialize, JsonSchema)]
struct SearchParams {
    uid: String,
    /// 100 by default; -1 for all, at most 1,000.
    max_transcript_segments: Option<i64>,
}

/// A page of search results as conversation items.
#[derive(Debug, Serialize, JsonSchema)]
struct SearchAnswer {
    conversations: Vec<ConversationItem>,
    total_pages: u64,
    current_page: i64,
    per_page: i64,
}

async fn search_conversations(
    State(state): State<AppState>,
    key: AppKeyHeader,
    Path(app_id): Path<String>,
    Params(query): Params<SearchParams>,
    body: Result<Body<SearchRequest>, ApiError>,
) -> ApiResult<Json<SearchAnswer>> {
    let shown = import_api::segments_shown(query.max_transcript_segments)?;
    let action = Some(ActionType::ReadConversations);
    authorize(&state, key.0.as_deref(), &app_id, &query.uid, action).await?;
    let Body(request) = body?;
    let found = search::search_conversations(&state, &query.uid, &request).await?;
    let found = found.map(|found| import_api::item(&found.conversation, shown));
    Ok(Json(SearchAnswer {
        conversations: found.items,
        total_pages: found.total_pages,
        current_page: found.current_page,
        per_page: found.per_page,
    }))
}

/// Tasks of the import API: 100 by default, at most 1,000.
const TASKS_PAGE: PageRule = PageRule::new(100, 1_000);

/// `?uid=&limit=&offset=&completed=&conversation_id=&start_date=&end_date=&due_start_date=&due_end_date=`.
#[derive(Debug, Deserialize, JsonSchema)]
struct TasksParams {
    uid: String,
    limit: Option<i64>,
    offset: Option<i64>,
    completed: Option<bool>,
    conversation_id: Option<String>,
    start_date: Option<InputTime>,
    end_date: Option<InputTime>,
    due_start_date: Option<InputTime>,
    due_end_date: Option<InputTime>,
}

/// `{"tasks": [...]}`.
#[derive(Debug, Serialize, JsonSchema)]
struct TasksAnswer {
    tasks: Vec<ActionItemView>,
}

async fn read_tasks(
    State(state): State<AppState>,
    key: AppKeyHeader,
    Path(app_id): Path<String>,
    Params(query): Params<TasksParams>,
) -> ApiResult<Json<TasksAnswer>> {
    let page = TASKS_PAGE.page(query.limit, query.offset)?;
    let action = Some(ActionType::ReadTasks);
    authorize(&state, key.0.as_deref(), &app_id, &query.uid, action).await?;
    let filter = action_items::ListQuery {
        completed: query.completed,
        status: None,
        conversation_id: query.conversation_id,
        start_date: query.start_date,
        end_date: query.end_date,
        due_start_date: query.due_start_date,
        due_end_date: query.due_end_date,
    };
    let found = action_items::list(&state, &query.uid, filter, page).await?;
    Ok(Json(TasksAnswer { tasks: found.items }))
}

/// `?uid=&message=`.
#[derive(Debug, Deserialize, JsonSchema)]
struct NotifyParams {
    uid: String,
    message: String,
}

async fn notify(
    State(state): State<AppState>,
    key: AppKeyHeader,
    Path(app_id): Path<String>,
    Params(query): Params<NotifyParams>,
) -> Result<Limited<Status>, Refused> {
    send_notification(&state, key, &app_id, &query.uid, &query.message).await
}

/// `{uid, aid, message}` of `POST /v1/integrations/notification`.
#[derive(Debug, Deserialize, JsonSchema)]
struct NotifyBody {
    uid: Option<String>,
    /// The app's id.
    aid: Option<String>,
    message: Option<String>,
}

async fn notify_v1(
    State(state): State<AppState>,
    key: AppKeyHeader,
    body: Result<Body<NotifyBody>, ApiError>,
) -> Result<Limited<Status>, Refused> {
    let Body(body) = body.map_err(|e| Refused(e, None))?;
    let present = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    let (Some(uid), Some(aid), Some(message)) =
        (present(body.uid), present(body.aid), present(body.message))
    else {
        let missing = ApiError::BadRequest("uid, aid and message are required".into());
        return Err(Refused(missing, None));
    };
    send_notification(&state, key, &aid, &uid, &message).await
}

/// The checks, then the message, then the 10-an-hour limit of (app, user), then the notification.
async fn send_notification(
    state: &AppState,
    key: AppKeyHeader,
    app_id: &str,
    uid: &str,
    message: &str,
) -> Result<Limited<Status>, Refused> {
    let refused = |error: ApiError| Refused(error, None);
    authorize(state, key.0.as_deref(), app_id, uid, None)
        .await
        .map_err(refused)?;
    let app = apps::found(state, app_id).await.map_err(refused)?;
    // A refused message is not counted.
    import_api::checked_message(message).map_err(refused)?;
    let decision = admit(state, APP_NOTIFICATIONS, app_id, uid).await?;
    let caller = import_api::caller(app_id, uid);
    match import_api::notify(state, &caller, &app.app, message).await {
        Ok(()) => Ok(Limited(decision, Json(Status::ok_capitalized()))),
        Err(error) => Err(Refused(error, Some(decision))),
    }
}
