//! Folders (spec §2.9, §7.13, and the developer API's and MCP's folder lists): what every door may ask — the
//! user's folders with their conversation counts, one folder, creating, changing, reordering and deleting
//! folders, a folder's conversations, moving conversations into a folder — and the folder the processing
//! pipeline puts a new conversation in. Folder ids that are not the caller's answer 404 as if they did not exist.
//!
//! The app's list creates the system folders on first use; the developer API and MCP only read (an empty list
//! until the user has folders). A folder command's own refusals that the spec answers with 400 (the fifty-folder
//! limit, deleting a system folder) are 400 here too; malformed input is 422.

mod deletion;
mod input;
mod moves;

use chrono::{DateTime, Utc};
use omi_commands::{CommandBus, CommandError, Metadata};
use omi_domain::folder::{folders_stream_id, Folders, FoldersCommand, FoldersEvent, SystemFolder};
use omi_domain::DomainError;
use omi_projections::conversations::{self, ConversationFilter, ConversationView};
use omi_projections::folders::{self, FolderView};
use uuid::Uuid;

use super::{Caller, Page, PageRule};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time_input::now;

pub use deletion::{empty_deleted_folder, EmptyingError};
pub use moves::{bulk_move, move_conversation, Moved};

pub use input::{
    BulkMove, FolderUpdate, NewFolder, Reorder, MAX_BULK_MOVE_IDS, MAX_ICON_CHARS, MAX_REORDER_IDS,
};

/// A folder's conversation list (spec §7.13: 100 by default, at most 1000).
pub const CONVERSATIONS_PAGE: PageRule = PageRule::new(100, 1_000);

fn not_found() -> ApiError {
    ApiError::NotFound("Folder not found".into())
}

/// Runs a folder command and waits for the read models; returns the events it recorded. The aggregate's rule
/// refusals are 400, as the spec answers the fifty-folder limit and a system folder's deletion.
async fn run(
    state: &AppState,
    caller: &Caller,
    command: FoldersCommand,
) -> ApiResult<Vec<FoldersEvent>> {
    let appended = state
        .commands
        .execute::<Folders>(&folders_stream_id(&caller.uid), command, &caller.metadata)
        .await
        .map_err(|error| match error {
            CommandError::Domain(DomainError::Invalid(message)) => ApiError::BadRequest(message),
            other => other.into(),
        })?;
    state.caught_up(appended.position).await?;
    Ok(appended.events)
}

/// The user's folders by `order` with their counts, creating the system folders the first time.
pub async fn list(state: &AppState, caller: &Caller) -> ApiResult<Vec<FolderView>> {
    if let Some(found) = folders::folders_of(&state.database, &caller.uid).await? {
        return Ok(found);
    }
    let command = FoldersCommand::EnsureSystemFolders {
        uid: caller.uid.clone(),
        at: now(),
    };
    run(state, caller, command).await?;
    Ok(folders::folders_of(&state.database, &caller.uid)
        .await?
        .unwrap_or_default())
}

/// The user's folders as they are, without creating any (the developer API and MCP read only).
pub async fn existing(state: &AppState, uid: &str) -> ApiResult<Vec<FolderView>> {
    Ok(folders::folders_of(&state.database, uid)
        .await?
        .unwrap_or_default())
}

/// The user's folder `id`, or 404.
pub async fn get(state: &AppState, uid: &str, id: &str) -> ApiResult<FolderView> {
    existing(state, uid)
        .await?
        .into_iter()
        .find(|folder| folder.id == id)
        .ok_or_else(not_found)
}

/// Creates a custom folder after the others (400 beyond fifty custom folders).
pub async fn create(state: &AppState, caller: &Caller, new: NewFolder) -> ApiResult<FolderView> {
    let checked = new.check()?;
    let folder_id = Uuid::new_v4().to_string();
    let command = FoldersCommand::CreateFolder {
        uid: caller.uid.clone(),
        folder_id: folder_id.clone(),
        name: checked.name,
        description: checked.description,
        color: checked.color,
        icon: checked.icon,
        at: now(),
    };
    run(state, caller, command).await?;
    get(state, &caller.uid, &folder_id).await
}

/// Changes what `update` gives of the user's folder `id` (404 when it is not theirs).
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    update: FolderUpdate,
) -> ApiResult<FolderView> {
    let changes = update.check()?;
    let command = FoldersCommand::UpdateFolder {
        uid: caller.uid.clone(),
        folder_id: id.to_string(),
        changes,
        at: now(),
    };
    run(state, caller, command).await?;
    get(state, &caller.uid, id).await
}

/// Puts the listed folders first, in that order (`order` = place), and the rest after them as they were. An
/// id that is not one of the user's folders is 404 and a repeated one 422; nothing changes then.
pub async fn reorder(state: &AppState, caller: &Caller, reorder: Reorder) -> ApiResult<()> {
    let folder_ids = reorder.check()?;
    let command = FoldersCommand::ReorderFolders {
        uid: caller.uid.clone(),
        folder_ids,
        at: now(),
    };
    match run(state, caller, command).await {
        Ok(_) => Ok(()),
        // A repeated id is malformed input, not a rule of the folders.
        Err(ApiError::BadRequest(message)) => Err(ApiError::invalid("body.folder_ids", message)),
        Err(other) => Err(other),
    }
}

/// Deletes the user's custom folder `id` (400 for a system folder, 404 when it or `move_to` is not theirs)
/// and moves its conversations to `move_to` or to the default folder before answering; should the request
/// stop halfway, the `folder_cleanup` reaction finishes the moves (it may also make some of them first).
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    id: &str,
    move_to: Option<String>,
) -> ApiResult<()> {
    let command = FoldersCommand::DeleteFolder {
        uid: caller.uid.clone(),
        folder_id: id.to_string(),
        move_to_folder_id: move_to.filter(|target| !target.is_empty()),
        at: now(),
    };
    let events = run(state, caller, command).await?;
    let Some(moved_to) = events.iter().find_map(|event| match event {
        FoldersEvent::FolderDeleted { moved_to, .. } => Some(moved_to),
        _ => None,
    }) else {
        return Ok(());
    };
    empty_deleted_folder(
        &state.database,
        &state.commands,
        &caller.uid,
        id,
        moved_to,
        &caller.metadata,
    )
    .await?;
    // The `folder_cleanup` reaction may have moved some of them first (this request's command then records
    // nothing): wait for everything committed so far, its moves included.
    caught_up_to_head(state).await
}

/// Waits until the read models show everything committed so far.
async fn caught_up_to_head(state: &AppState) -> ApiResult<()> {
    let head = omi_store::committed_head(&state.database)
        .await
        .map_err(|error| ApiError::Internal(error.to_string()))?;
    state.caught_up(Some(head)).await
}

impl From<EmptyingError> for ApiError {
    fn from(error: EmptyingError) -> Self {
        match error {
            EmptyingError::Command(error) => error.into(),
            EmptyingError::Read(error) => error.into(),
        }
    }
}

/// A page of the user's folder `id`'s conversations, newest first (404 when the folder is not theirs).
pub async fn conversations_in(
    state: &AppState,
    uid: &str,
    id: &str,
    page: Page,
    include_discarded: bool,
) -> ApiResult<Vec<ConversationView>> {
    get(state, uid, id).await?;
    let filter = ConversationFilter {
        include_discarded,
        folder_id: Some(id.to_string()),
        ..ConversationFilter::default()
    };
    Ok(conversations::list(&state.database, uid, &filter, page.limit, page.offset).await?)
}

/// The folder a processed conversation of category `category` goes to: the system folder its category maps
/// to, created with the others if the user has none yet. For the processing pipeline, which settles the
/// command's result itself.
pub async fn folder_for_category(
    commands: &CommandBus,
    uid: &str,
    category: &str,
    at: DateTime<Utc>,
    metadata: &Metadata,
) -> Result<String, CommandError<DomainError>> {
    let command = FoldersCommand::EnsureSystemFolders {
        uid: uid.to_string(),
        at,
    };
    commands
        .execute::<Folders>(&folders_stream_id(uid), command, metadata)
        .await?;
    Ok(SystemFolder::for_category(category).id_for(uid))
}
