//! Chat (spec §6.4, the `chat` router): sending a message with a streamed answer, the thread's messages,
//! clearing, the greeting, reports, the v1 aliases, and the rating under `/v1/users/analytics`.

mod stream;

use aide::axum::routing::post_with;
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::chat::{self, Message, ResponseMessage};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, CurrentUser, Params, Path};
use crate::policies;
use crate::replies::Status;
use crate::state::AppState;
use stream::AnswerStream;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v2/messages",
            post_with(send_streamed, |op| {
                op.summary("Send a message; the answer streams as text/event-stream (data: chunks, then done: base64 of the stored answer)")
            })
            .get_with(list, |op| {
                op.summary("Up to 100 newest messages of the chat, newest first (a greeting when there are none)")
            })
            .delete_with(clear, |op| op.summary("Clear the chat; answers the greeting of the new session")),
        )
        .api_route(
            "/v1/messages",
            post_with(send_whole, |op| op.summary("Send a message and wait for the whole answer (v1)"))
                .delete_with(clear, |op| op.summary("Clear the chat (v1)")),
        )
        .api_route(
            "/v2/initial-message",
            post_with(initial_message, |op| op.summary("Greet the user in the chat")),
        )
        .api_route(
            "/v1/initial-message",
            post_with(initial_message, |op| op.summary("Greet the user in the chat (v1)")),
        )
        .api_route(
            "/v2/messages/{message_id}/report",
            post_with(report, |op| op.summary("Report an AI message (400: not an AI message, or reported already)")),
        )
        .api_route(
            "/v1/messages/{message_id}/report",
            post_with(report, |op| op.summary("Report an AI message (v1)")),
        )
        .api_route(
            "/v1/users/analytics/chat_message",
            post_with(rate, |op| op.summary("Rate a message: value 1, -1 or 0 (no rating), with a reason")),
        )
        .with_path_items(|item| item.tag("chat"))
}

/// Which chat: an app's (`app_id`, legacy `plugin_id`) or the main chat (absent, `null` or empty).
#[derive(Debug, Deserialize, JsonSchema)]
struct ChatQuery {
    app_id: Option<String>,
    plugin_id: Option<String>,
}

impl ChatQuery {
    fn context(&self) -> ApiResult<Option<String>> {
        chat::context(self.app_id.as_deref(), self.plugin_id.as_deref())
    }
}

/// A message to send.
#[derive(Debug, Deserialize, JsonSchema)]
struct MessageInput {
    /// 1 to 10,000 characters.
    text: String,
    /// Chat files; this server stores none, so the list must be empty.
    #[serde(default)]
    file_ids: Option<Vec<String>>,
}

impl MessageInput {
    fn text(&self) -> ApiResult<&str> {
        if self.file_ids.as_ref().is_some_and(|ids| !ids.is_empty()) {
            return Err(ApiError::invalid(
                "body.file_ids",
                "this server stores no chat files: file_ids must be empty",
            ));
        }
        Ok(&self.text)
    }
}

/// The rating of a message.
#[derive(Debug, Deserialize, JsonSchema)]
struct RatingQuery {
    message_id: String,
    /// 1, -1, or 0 to take the rating back.
    value: i64,
    /// `too_verbose`, `incorrect_or_hallucination`, `not_helpful_or_irrelevant`, `didnt_follow_instructions`
    /// or `other`.
    reason: Option<String>,
}

/// `{"message": "Message reported"}`.
#[derive(Debug, Serialize, JsonSchema)]
struct Reported {
    message: &'static str,
}

/// `chat:send_message`: `OMI_CHAT_RATE_PER_HOUR` messages a user may send in an hour (120), through either version.
async fn limit_messages(state: &AppState, uid: &str) -> ApiResult<()> {
    let limit = state.config.chat_rate_per_hour;
    policies::enforce_hourly(&state.database, "chat:send_message", limit, uid).await
}

async fn send_streamed(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<ChatQuery>,
    Body(input): Body<MessageInput>,
) -> ApiResult<AnswerStream> {
    let app_id = query.context()?;
    let text = input.text()?;
    limit_messages(&state, &user.uid).await?;
    let answering = chat::send(&state, &user.caller(), app_id, text).await?;
    Ok(AnswerStream::new(answering))
}

async fn send_whole(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<ChatQuery>,
    Body(input): Body<MessageInput>,
) -> ApiResult<Json<ResponseMessage>> {
    let app_id = query.context()?;
    let text = input.text()?;
    limit_messages(&state, &user.uid).await?;
    let answering = chat::send(&state, &user.caller(), app_id, text).await?;
    Ok(Json(chat::answer_whole(answering).await?))
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<ChatQuery>,
) -> ApiResult<Json<Vec<Message>>> {
    let app_id = query.context()?;
    Ok(Json(chat::list(&state, &user.caller(), app_id).await?))
}

async fn clear(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<ChatQuery>,
) -> ApiResult<Json<Message>> {
    let app_id = query.context()?;
    Ok(Json(chat::clear(&state, &user.caller(), app_id).await?))
}

async fn initial_message(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<ChatQuery>,
) -> ApiResult<Json<Message>> {
    let app_id = query.context()?;
    let limit = state.config.chat_initial_rate_per_hour;
    policies::enforce_hourly(&state.database, "chat:initial", limit, &user.uid).await?;
    Ok(Json(
        chat::initial_message(&state, &user.caller(), app_id).await?,
    ))
}

async fn report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(message_id): Path<String>,
) -> ApiResult<Json<Reported>> {
    chat::report(&state, &user.caller(), &message_id, None).await?;
    Ok(Json(Reported {
        message: "Message reported",
    }))
}

async fn rate(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<RatingQuery>,
) -> ApiResult<Json<Status>> {
    chat::rate(
        &state,
        &user.caller(),
        &query.message_id,
        query.value,
        query.reason.as_deref(),
    )
    .await?;
    Ok(Json(Status::ok()))
}
