//! Emptying a deleted folder: each of its conversations is moved to the folder the deletion named, with a
//! command that moves a conversation only while it is still in the deleted folder. The delete request does it
//! at once; the `folder_cleanup` reaction does it again for every deletion, so a request that stopped halfway
//! is finished, and handling a deletion twice moves nothing back.

use omi_commands::{CommandBus, CommandError, Metadata};
use omi_domain::conversation::{Conversation, ConversationCommand};
use omi_domain::DomainError;
use omi_projections::folders;
use omi_store::Database;

use crate::time_input::now;

/// Why emptying a folder stopped.
#[derive(Debug, thiserror::Error)]
pub enum EmptyingError {
    #[error(transparent)]
    Command(#[from] CommandError<DomainError>),
    #[error(transparent)]
    Read(#[from] omi_projections::ProjectionError),
}

/// Moves the user's conversations still in the deleted folder `from` to `to`. Reads the conversations read
/// model: it must show the deletion already.
pub async fn empty_deleted_folder(
    database: &Database,
    commands: &CommandBus,
    uid: &str,
    from: &str,
    to: &str,
    metadata: &Metadata,
) -> Result<(), EmptyingError> {
    let ids = folders::conversation_ids_in(database, uid, from).await?;
    let at = now();
    for id in ids {
        let command = ConversationCommand::MoveOutOfFolder {
            uid: uid.to_string(),
            from: from.to_string(),
            to: to.to_string(),
            at,
        };
        match commands
            .execute::<Conversation>(&id, command, metadata)
            .await
        {
            Ok(_) => {}
            // Deleted or merged meanwhile: nothing to move.
            Err(CommandError::Domain(DomainError::NotFound(_))) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}
