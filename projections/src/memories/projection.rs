//! Keeps the `memories` table in step with the log.

use sqlx::AnyConnection;

use super::MemoryView;
use crate::documents::{fold_into, Document, Owned};
use crate::runtime::{ApplyFuture, Projection, ProjectionError, RecordedEvent, StoredEvent};
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
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    let changes: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.event {
            StoredEvent::Memory(event) => Some((e.aggregate_id.as_str(), event)),
            _ => None,
        })
        .collect();
    fold_into(
        conn,
        &changes,
        |id, current: Option<Owned<MemoryView>>, event| {
            MemoryView::evolve(id, current.map(|row| row.doc), event).map(|doc| Owned {
                uid: doc.uid.clone(),
                doc,
            })
        },
    )
    .await
}
