//! Moving conversations into folders: one at a time (`PATCH /v1/conversations/{id}/folder`) or in bulk, each
//! only into one of the caller's folders. A move that lands after its folder's deletion is moved on to the
//! default folder at once.

use omi_commands::CommandError;
use omi_domain::conversation::{Conversation, ConversationCommand};
use omi_domain::DomainError;
use omi_projections::conversations;
use schemars::JsonSchema;
use serde::Serialize;

use super::{caught_up_to_head, empty_deleted_folder, existing, get, BulkMove};
use crate::app::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::time_input::now;

/// What a bulk move answers.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Moved {
    /// `ok`.
    pub status: &'static str,
    /// How many of the listed ids were the caller's conversations; each is in the folder now.
    pub moved_count: usize,
}

/// Moves the user's conversation into their folder `folder_id`, or out of any with `None`; 404 when either is
/// not theirs.
pub async fn move_conversation(
    state: &AppState,
    caller: &Caller,
    conversation_id: &str,
    folder_id: Option<String>,
) -> ApiResult<()> {
    let folder_id = folder_id.filter(|id| !id.trim().is_empty());
    if let Some(folder_id) = &folder_id {
        get(state, &caller.uid, folder_id).await?;
    }
    let command = ConversationCommand::MoveToFolder {
        uid: caller.uid.clone(),
        folder_id: folder_id.clone(),
        at: now(),
    };
    state
        .execute::<Conversation>(conversation_id, command, &caller.metadata)
        .await?;
    match folder_id {
        Some(folder_id) => leave_if_deleted(state, caller, &folder_id).await,
        None => Ok(()),
    }
}

/// Empties folder `folder_id` into the default folder if it was deleted while conversations were being moved
/// into it. The read models show every event committed before the move by now: a deletion committed earlier
/// shows here, and one committed later empties the folder itself (the request and `folder_cleanup` read the
/// conversations after the move).
async fn leave_if_deleted(state: &AppState, caller: &Caller, folder_id: &str) -> ApiResult<()> {
    let mine = existing(state, &caller.uid).await?;
    if mine.iter().any(|folder| folder.id == folder_id) {
        return Ok(());
    }
    let Some(default) = mine.iter().find(|folder| folder.is_default) else {
        return Ok(());
    };
    empty_deleted_folder(
        &state.database,
        &state.commands,
        &caller.uid,
        folder_id,
        &default.id,
        &caller.metadata,
    )
    .await?;
    caught_up_to_head(state).await
}

/// Moves the listed conversations of the user into their folder `folder_id` (404 when it is not theirs); ids
/// that are not the user's conversations are skipped.
pub async fn bulk_move(
    state: &AppState,
    caller: &Caller,
    folder_id: &str,
    request: BulkMove,
) -> ApiResult<Moved> {
    let ids = request.check()?;
    get(state, &caller.uid, folder_id).await?;
    let found = conversations::get_many(&state.database, &caller.uid, &ids).await?;
    let at = now();
    let results = futures::future::join_all(found.iter().map(|conversation| {
        let command = ConversationCommand::MoveToFolder {
            uid: caller.uid.clone(),
            folder_id: Some(folder_id.to_string()),
            at,
        };
        state
            .commands
            .execute::<Conversation>(&conversation.id, command, &caller.metadata)
    }))
    .await;
    let mut last = None;
    let mut moved_count = 0;
    for result in results {
        match result {
            Ok(appended) => {
                moved_count += 1;
                last = last.max(appended.position);
            }
            // Deleted or merged since it was read: skipped like an unknown id.
            Err(CommandError::Domain(DomainError::NotFound(_))) => {}
            Err(other) => return Err(other.into()),
        }
    }
    state.caught_up(last).await?;
    leave_if_deleted(state, caller, folder_id).await?;
    Ok(Moved {
        status: "ok",
        moved_count,
    })
}
