//! Keeps the `action_items` table in step with the log.

use sqlx::AnyConnection;

use super::ActionItemView;
use crate::documents::{fold_into, Document, Owned};
use crate::runtime::{ApplyFuture, Projection, ProjectionError, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;
use crate::time::micros;

/// The projection behind [`super::list`] and [`super::get`].
pub struct ActionItemsProjection;

impl Projection for ActionItemsProjection {
    fn name(&self) -> &'static str {
        "action_items"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["action_items"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }
}

impl Document for ActionItemView {
    const TABLE: &'static str = "action_items";
    const COLUMNS: &'static [&'static str] =
        &["completed", "conversation_id", "created_at", "due_at"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.completed)
            .bind(self.conversation_id.clone())
            .bind(micros(&self.created_at))
            .bind(self.due_at.as_ref().map(micros))
    }
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    let changes: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.event {
            StoredEvent::ActionItem(event) => Some((e.aggregate_id.as_str(), event)),
            _ => None,
        })
        .collect();
    fold_into(
        conn,
        &changes,
        |id, current: Option<Owned<ActionItemView>>, event| {
            ActionItemView::evolve(id, current.map(|row| (row.uid, row.doc)), event)
                .map(|(uid, doc)| Owned { uid, doc })
        },
    )
    .await
}
