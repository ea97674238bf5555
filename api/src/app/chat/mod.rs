//! Chat over the user's own history (spec §2.8, §6.4): one thread per user and app context. Sending stores
//! the human message first, then streams an answer drawn from the user's conversations, memories and action
//! items ([`send`]); the other uses read, clear, greet, report and rate the messages of the current session.

mod ask;
mod messages;
mod retrieval;
mod send;
mod tools;

use omi_domain::chat::{
    app_context, thread_id, ChatCommand, ChatThread, RatingReason, ALREADY_REPORTED,
    NOT_AN_AI_MESSAGE,
};
use omi_projections::chat::{self, ChatMessageView};
use uuid::Uuid;

pub use ask::{ask, Asked};
pub use messages::{CitedConversation, CitedStructured, FileChat, Message, ResponseMessage};
pub use retrieval::retrieve;
pub use send::{answer_whole, send, Answering, StreamItem};

use super::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The most messages a list answers (spec §6.4).
pub const MAX_LISTED: usize = 100;
/// The most characters of an app id.
const MAX_APP_ID_CHARS: usize = 100;
/// The most characters of a report's or a rating's reason.
const MAX_REASON_CHARS: usize = 1_000;

/// The greeting of a new session.
fn greeting(app_id: Option<&str>) -> String {
    match app_id {
        None => "Hi! I'm Omi. Ask me anything about your conversations, memories and tasks.".into(),
        Some(_) => "Hi! Ask me anything.".into(),
    }
}

/// The chat context a request names (`app_id`, or its legacy name `plugin_id`): `None` for the main chat
/// (also spelled `null` or empty); 422 for an id that cannot be one.
pub fn context(app_id: Option<&str>, plugin_id: Option<&str>) -> ApiResult<Option<String>> {
    let Some(app_id) = app_context(app_id.or(plugin_id)) else {
        return Ok(None);
    };
    if app_id.chars().count() > MAX_APP_ID_CHARS
        || app_id.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(ApiError::invalid(
            "query.app_id",
            format!("app_id must be at most {MAX_APP_ID_CHARS} characters without spaces or control characters"),
        ));
    }
    Ok(Some(app_id))
}

/// Up to [`MAX_LISTED`] of the newest messages of the context's current session, newest first; a context
/// without messages gets its greeting first, which is then the one message.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    app_id: Option<String>,
) -> ApiResult<Vec<Message>> {
    let thread = thread_id(&caller.uid, app_id.as_deref());
    let mut views = chat::current(&state.database, &caller.uid, &thread, MAX_LISTED).await?;
    if views.is_empty() {
        let command = ChatCommand::GreetEmptyThread {
            uid: caller.uid.clone(),
            text: greeting(app_id.as_deref()),
            app_id: app_id.clone(),
            message_id: Uuid::new_v4().to_string(),
            at: state.clock.now(),
        };
        let greeted = state
            .execute::<ChatThread>(&thread, command, &caller.metadata)
            .await?;
        if greeted.events.is_empty() {
            // Another request greeted first: its event is in the log, perhaps not yet in the read model.
            let head = omi_store::head_position(&state.database)
                .await
                .map_err(|error| ApiError::Internal(error.to_string()))?;
            state.caught_up(Some(head)).await?;
        }
        views = chat::current(&state.database, &caller.uid, &thread, MAX_LISTED).await?;
    }
    messages::shaped(state, &caller.uid, views).await
}

/// Up to `limit` (at most [`MAX_LISTED`]) of the newest messages of the context's current session, newest first,
/// without greeting an empty chat: a read for doors that only read (MCP).
pub async fn recent(
    state: &AppState,
    uid: &str,
    app_id: Option<String>,
    limit: usize,
) -> ApiResult<Vec<Message>> {
    let thread = thread_id(uid, app_id.as_deref());
    let views = chat::current(&state.database, uid, &thread, limit.clamp(1, MAX_LISTED)).await?;
    messages::shaped(state, uid, views).await
}

/// Greets the user in the context's current session (a new one when the context has none).
pub async fn initial_message(
    state: &AppState,
    caller: &Caller,
    app_id: Option<String>,
) -> ApiResult<Message> {
    let message_id = Uuid::new_v4().to_string();
    let command = ChatCommand::GiveInitialMessage {
        uid: caller.uid.clone(),
        text: greeting(app_id.as_deref()),
        app_id: app_id.clone(),
        message_id: message_id.clone(),
        at: state.clock.now(),
    };
    execute(state, caller, app_id.as_deref(), command).await?;
    read(state, &caller.uid, &message_id).await
}

/// Ends the context's current session and answers the greeting of the new one.
pub async fn clear(
    state: &AppState,
    caller: &Caller,
    app_id: Option<String>,
) -> ApiResult<Message> {
    let message_id = Uuid::new_v4().to_string();
    let command = ChatCommand::ClearThread {
        uid: caller.uid.clone(),
        initial_text: greeting(app_id.as_deref()),
        app_id: app_id.clone(),
        initial_message_id: message_id.clone(),
        at: state.clock.now(),
    };
    execute(state, caller, app_id.as_deref(), command).await?;
    read(state, &caller.uid, &message_id).await
}

/// Reports an AI message of a current session: 404 for an unknown message (or one cleared since), 400 for
/// the user's own message or a second report.
pub async fn report(
    state: &AppState,
    caller: &Caller,
    message_id: &str,
    reason: Option<String>,
) -> ApiResult<()> {
    if let Some(reason) = &reason {
        check_reason("body.reason", reason)?;
    }
    let message = current_message(state, &caller.uid, message_id).await?;
    let command = ChatCommand::ReportMessage {
        uid: caller.uid.clone(),
        message_id: message_id.to_string(),
        reason,
        at: state.clock.now(),
    };
    match execute(state, caller, message.app_id.as_deref(), command).await {
        Err(ApiError::Conflict(detail))
            if detail == NOT_AN_AI_MESSAGE || detail == ALREADY_REPORTED =>
        {
            Err(ApiError::BadRequest(detail))
        }
        other => other,
    }
}

/// Rates a message of a current session: `value` 1, -1, or 0 (takes the rating back); `reason` one of the
/// spec's. 404 for an unknown message, 422 for another value or reason.
pub async fn rate(
    state: &AppState,
    caller: &Caller,
    message_id: &str,
    value: i64,
    reason: Option<&str>,
) -> ApiResult<()> {
    let rating = match value {
        0 => None,
        1 => Some(1),
        -1 => Some(-1),
        _ => return Err(ApiError::invalid("query.value", "value must be 1, -1 or 0")),
    };
    let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some(name) => Some(RatingReason::parse(name).ok_or_else(|| {
            let known: Vec<&str> = RatingReason::ALL.iter().map(|(name, _)| *name).collect();
            ApiError::invalid(
                "query.reason",
                format!("reason must be one of {}", known.join(", ")),
            )
        })?),
    };
    let message = current_message(state, &caller.uid, message_id).await?;
    let command = ChatCommand::RateMessage {
        uid: caller.uid.clone(),
        message_id: message_id.to_string(),
        rating,
        reason,
        at: state.clock.now(),
    };
    execute(state, caller, message.app_id.as_deref(), command).await
}

/// A reason of at most [`MAX_REASON_CHARS`] characters without NUL, or 422 at `loc`.
fn check_reason(loc: &str, reason: &str) -> ApiResult<()> {
    if reason.chars().count() > MAX_REASON_CHARS || reason.contains('\0') {
        return Err(ApiError::invalid(
            loc,
            format!("reason must be at most {MAX_REASON_CHARS} characters without NUL"),
        ));
    }
    Ok(())
}

/// Runs a command on the thread of `app_id` for the caller.
async fn execute(
    state: &AppState,
    caller: &Caller,
    app_id: Option<&str>,
    command: ChatCommand,
) -> ApiResult<()> {
    let thread = thread_id(&caller.uid, app_id);
    state
        .execute::<ChatThread>(&thread, command, &caller.metadata)
        .await?;
    Ok(())
}

/// The user's message, shaped.
async fn read(state: &AppState, uid: &str, message_id: &str) -> ApiResult<Message> {
    let view = chat::message(&state.database, uid, message_id)
        .await?
        .ok_or_else(not_found)?;
    messages::shaped_one(state, uid, view).await
}

/// The user's message if it belongs to the current session of its thread, else 404.
async fn current_message(
    state: &AppState,
    uid: &str,
    message_id: &str,
) -> ApiResult<ChatMessageView> {
    if message_id.len() > 64 || message_id.contains('\0') {
        return Err(not_found());
    }
    let message = chat::message(&state.database, uid, message_id)
        .await?
        .ok_or_else(not_found)?;
    let newest = chat::current(&state.database, uid, &message.thread_id, 1).await?;
    if newest.first().map(|m| m.session) != Some(message.session) {
        return Err(not_found());
    }
    Ok(message)
}

fn not_found() -> ApiError {
    ApiError::NotFound("Message not found".into())
}
