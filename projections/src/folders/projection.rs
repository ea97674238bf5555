//! Keeps the `folders` table in step with the log: each user's row is their folders aggregate, folded with
//! the aggregate's own `apply`, so the read side cannot disagree with the rules about order or timestamps.

use cqrs_es::Aggregate;
use omi_domain::folder::{Folders, FoldersEvent};

use crate::documents::{document_projection, Document, Owned};
use crate::runtime::{CopyRows, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;

document_projection! {
    /// The projection behind [`super::folders_of`].
    FoldersProjection {
        name: "folders",
        reads: [Folders::TYPE],
        table: "folders",
        select: select,
        evolve: evolve,
    }
}

impl Document for Folders {
    const TABLE: &'static str = "folders";
    const COLUMNS: &'static [&'static str] = &["folder_count"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(self.all().len() as i64)
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.bigint(self.all().len() as i64);
    }
}

fn select(recorded: &RecordedEvent) -> Option<&FoldersEvent> {
    match &recorded.event {
        StoredEvent::Folders(event) => Some(event),
        _ => None,
    }
}

fn evolve(
    _id: &str,
    current: Option<Owned<Folders>>,
    event: &FoldersEvent,
) -> Option<Owned<Folders>> {
    let uid = match event {
        FoldersEvent::SystemFoldersCreated { uid, .. }
        | FoldersEvent::FolderCreated { uid, .. }
        | FoldersEvent::FolderUpdated { uid, .. }
        | FoldersEvent::FoldersReordered { uid, .. }
        | FoldersEvent::FolderDeleted { uid, .. } => uid,
    };
    let mut row = current.unwrap_or_else(|| Owned {
        uid: uid.clone(),
        doc: Folders::default(),
    });
    row.doc.apply(event.clone());
    Some(row)
}
