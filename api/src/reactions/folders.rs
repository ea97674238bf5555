//! Folder cleanup: on `FolderDeleted`, move the conversations still in the deleted folder to the folder the
//! deletion named. The delete request moves them itself before it answers; this reaction finishes the work of
//! a request that stopped halfway. Idempotent: a conversation moves only while it is still in the deleted
//! folder (`MoveOutOfFolder`), so handling a deletion again never undoes a later move.

use std::sync::Arc;
use std::time::Duration;

use omi_commands::reactions::{ReactFuture, Reaction, ReactionError};
use omi_commands::{CommandBus, Metadata};
use omi_domain::folder::{Folders, FoldersEvent};
use omi_projections::Projector;
use omi_store::{Database, RecordedEvent, StoredEvent};

use super::{event_id, settle};
use crate::app::folders::{empty_deleted_folder, EmptyingError};

/// How long the reaction waits for the conversations read model to show the deletion.
const CATCH_UP: Duration = Duration::from_secs(30);

/// The reaction.
pub struct FolderCleanup {
    database: Database,
    commands: CommandBus,
    projector: Arc<Projector>,
}

impl FolderCleanup {
    /// Cleanup over the store, the bus and the read models it reads the folder's conversations from.
    pub fn new(database: Database, commands: CommandBus, projector: Arc<Projector>) -> Self {
        Self {
            database,
            commands,
            projector,
        }
    }

    async fn empty(
        &self,
        deleted: &RecordedEvent,
        uid: &str,
        from: &str,
        to: &str,
    ) -> Result<(), ReactionError> {
        if !self.projector.wait_for(deleted.position, CATCH_UP).await {
            return Err(ReactionError(
                "the read models did not show the folder's deletion in time".into(),
            ));
        }
        let metadata = Metadata::caused_by(
            uid.to_string(),
            event_id(deleted),
            deleted.metadata.correlation_id.clone(),
        );
        match empty_deleted_folder(&self.database, &self.commands, uid, from, to, &metadata).await {
            Ok(_) => Ok(()),
            // A refused move is an outcome; a conflict or a store failure is retried.
            Err(EmptyingError::Command(error)) => settle(Err::<(), _>(error)).map(|_| ()),
            Err(EmptyingError::Read(error)) => Err(ReactionError(error.to_string())),
        }
    }
}

impl Reaction for FolderCleanup {
    fn name(&self) -> &'static str {
        "folder_cleanup"
    }

    fn reads(&self) -> &'static [&'static str] {
        &[<Folders as cqrs_es::Aggregate>::TYPE]
    }

    fn react<'a>(&'a self, event: &'a RecordedEvent) -> ReactFuture<'a> {
        Box::pin(async move {
            match &event.event {
                StoredEvent::Folders(FoldersEvent::FolderDeleted {
                    uid,
                    folder_id,
                    moved_to,
                    ..
                }) => self.empty(event, uid, folder_id, moved_to).await,
                _ => Ok(()),
            }
        })
    }
}
