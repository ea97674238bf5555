//! Conversations (spec §2.1, §6.1): reads, imports, the hand-off to processing and the edits that more than one
//! door makes. Another user's conversation answers 404 as if it did not exist.

pub mod capture;
pub mod imports;
mod lists;
pub mod processing;
pub mod shapes;

use std::time::Duration;

use chrono::{DateTime, Utc};
use omi_domain::conversation::{Conversation, ConversationCommand, ConversationStatus};
use omi_projections::conversations::{self, ConversationView};
use omi_projections::history::{self, ConversationHistory};
use schemars::JsonSchema;
use serde::Serialize;
use tokio::time::Instant;

use super::validation::{check_length, Problems};
use super::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time_input::now;

pub use imports::{Import, SegmentsImportInput, TextImportInput};
pub use lists::{categories_known, categories_strict, completed, Completed, DayRange};

/// How long a request waits for processing to finish before answering with the conversation as it stands
/// (still `processing`; clients poll it).
pub const PROCESSING_TIMEOUT: Duration = Duration::from_secs(120);
/// How often the read model is polled while waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// The longest title the developer API takes (spec §7.4).
pub const DEVELOPER_MAX_TITLE: usize = 500;

/// The user's conversation, or 404.
pub async fn read(state: &AppState, uid: &str, id: &str) -> ApiResult<ConversationView> {
    conversations::get(&state.database, uid, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Conversation not found".into()))
}

/// The user's conversation as it stands now, or as it stood at `at` (folded from its stream); 404 when it did
/// not exist then.
pub async fn read_at(
    state: &AppState,
    uid: &str,
    id: &str,
    at: Option<DateTime<Utc>>,
) -> ApiResult<ConversationView> {
    let Some(at) = at else {
        return read(state, uid, id).await;
    };
    history::conversation_as_of(&state.database, uid, id, at)
        .await?
        .ok_or_else(|| ApiError::NotFound("Conversation not found".into()))
}

/// Every version of the user's conversation, kept after deletion too.
pub async fn conversation_history(
    state: &AppState,
    uid: &str,
    id: &str,
) -> ApiResult<ConversationHistory> {
    history::conversation_history(&state.database, uid, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Conversation not found".into()))
}

/// The user's conversation unless it is locked (spec §1.2: outside readers do not see locked ones), or 404.
pub async fn read_unlocked(state: &AppState, uid: &str, id: &str) -> ApiResult<ConversationView> {
    read_unlocked_at(state, uid, id, None).await
}

/// The user's conversation as it stands now, or as it stood at `at`, unless it is (then was) locked, or 404.
pub async fn read_unlocked_at(
    state: &AppState,
    uid: &str,
    id: &str,
    at: Option<DateTime<Utc>>,
) -> ApiResult<ConversationView> {
    let view = read_at(state, uid, id, at).await?;
    if view.is_locked {
        return Err(ApiError::NotFound("Conversation not found".into()));
    }
    Ok(view)
}

/// Runs a command on the user's conversation `id` and waits for the read model.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    id: &str,
    command: ConversationCommand,
) -> ApiResult<()> {
    state
        .execute::<Conversation>(id, command, &caller.metadata)
        .await?;
    Ok(())
}

/// What an import answers: the new conversation's id and where it stands.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Imported {
    pub id: String,
    pub status: ConversationStatus,
    pub discarded: bool,
}

impl From<ConversationView> for Imported {
    fn from(view: ConversationView) -> Self {
        Self {
            id: view.id,
            status: view.status,
            discarded: view.discarded,
        }
    }
}

/// Creates the imported conversation and answers once the read model shows it; processing is not waited for.
/// The people its segments name must be the user's (422 otherwise).
pub async fn import(state: &AppState, caller: &Caller, import: Import) -> ApiResult<Imported> {
    imports::check_people(state, &caller.uid, &import).await?;
    state
        .create::<Conversation>(&import.id, import.command, &caller.metadata)
        .await?;
    Ok(read(state, &caller.uid, &import.id).await?.into())
}

/// Creates the imported conversation and answers once processing finished (or [`PROCESSING_TIMEOUT`] ran out:
/// then still `processing`), as the reference's synchronous pipeline does.
pub async fn import_processed(
    state: &AppState,
    caller: &Caller,
    import: Import,
) -> ApiResult<Imported> {
    imports::check_people(state, &caller.uid, &import).await?;
    state
        .create::<Conversation>(&import.id, import.command, &caller.metadata)
        .await?;
    let view = wait_for_processing(state, &caller.uid, &import.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Conversation not found".into()))?;
    Ok(view.into())
}

/// Waits until no processing run of the conversation is pending, then reads it; `None` when it is gone.
pub async fn wait_for_processing(
    state: &AppState,
    uid: &str,
    id: &str,
) -> ApiResult<Option<ConversationView>> {
    let deadline = Instant::now() + PROCESSING_TIMEOUT;
    loop {
        match conversations::processing_state(&state.database, uid, id).await? {
            None => return Ok(None),
            Some(processing) if !processing.is_pending() => break,
            Some(_) if Instant::now() >= deadline => {
                tracing::warn!(
                    conversation_id = id,
                    "processing did not finish in time; answering with the conversation as it is"
                );
                break;
            }
            Some(_) => tokio::time::sleep(POLL_INTERVAL).await,
        }
    }
    Ok(conversations::get(&state.database, uid, id).await?)
}

/// Renames the conversation and/or (un)discards it, as the developer API's `PATCH` does: everything is
/// checked before anything is written (at least one field; a title of at most `max_title` characters), and a
/// locked conversation answers 404.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    title: Option<String>,
    discarded: Option<bool>,
    max_title: usize,
) -> ApiResult<ConversationView> {
    let mut problems = Problems::new();
    if title.is_none() && discarded.is_none() {
        problems.add("body", "at least one of title, discarded is required");
    }
    if let Some(title) = &title {
        if title.trim().is_empty() {
            problems.add("body.title", "Title cannot be empty");
        } else {
            check_length(&mut problems, "body.title", "title", title, max_title);
        }
    }
    problems.finish()?;
    read_unlocked(state, &caller.uid, id).await?;
    if let Some(title) = title {
        edit_title(state, caller, id, title).await?;
    }
    if let Some(discarded) = discarded {
        let command = ConversationCommand::SetDiscarded {
            uid: caller.uid.clone(),
            discarded,
            at: now(),
        };
        run(state, caller, id, command).await?;
    }
    read_unlocked(state, &caller.uid, id).await
}

/// Gives the conversation a new title (not blank).
pub async fn edit_title(
    state: &AppState,
    caller: &Caller,
    id: &str,
    title: String,
) -> ApiResult<()> {
    let command = ConversationCommand::EditTitle {
        uid: caller.uid.clone(),
        title,
        at: now(),
    };
    run(state, caller, id, command).await
}

/// Deletes the user's conversation.
pub async fn delete(state: &AppState, caller: &Caller, id: &str) -> ApiResult<()> {
    let command = ConversationCommand::Delete {
        uid: caller.uid.clone(),
        at: now(),
    };
    run(state, caller, id, command).await
}
