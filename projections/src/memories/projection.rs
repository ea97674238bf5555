//! Keeps the `memories` table in step with the log.

use omi_domain::memory::MemoryEvent;
use sqlx::AnyConnection;

use super::MemoryView;
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, Projection, ProjectionError, Rebuild, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;
use crate::time::micros;

/// The projection behind [`super::list`] and [`super::get`].
pub struct MemoriesProjection;

impl Projection for MemoriesProjection {
    fn name(&self) -> &'static str {
        "memories"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["memories"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }
}

impl Document for MemoryView {
    const TABLE: &'static str = "memories";
    const COLUMNS: &'static [&'static str] =
        &["category", "scoring", "conversation_id", "created_at"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.category.as_str())
            .bind(self.scoring.clone())
            .bind(self.conversation_id.clone())
            .bind(micros(&self.created_at))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.text(self.category.as_str())
            .text(&self.scoring)
            .text_or_null(self.conversation_id.as_deref())
            .bigint(micros(&self.created_at));
    }
}

impl MemoriesProjection {
    /// The rebuild of `memories` from the whole log, folded in memory.
    pub(crate) fn in_memory(&self) -> Box<dyn Rebuild> {
        Box::new(DocumentRebuild::new(select, evolve))
    }
}

fn select(recorded: &RecordedEvent) -> Option<&MemoryEvent> {
    match &recorded.event {
        StoredEvent::Memory(event) => Some(event),
        _ => None,
    }
}

fn evolve(
    id: &str,
    current: Option<Owned<MemoryView>>,
    event: &MemoryEvent,
) -> Option<Owned<MemoryView>> {
    MemoryView::evolve(id, current.map(|row| row.doc), event).map(|doc| Owned {
        uid: doc.uid.clone(),
        doc,
    })
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), evolve).await
}
