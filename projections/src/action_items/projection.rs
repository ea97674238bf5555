//! Keeps the `action_items` table in step with the log.

use omi_domain::action_item::ActionItemEvent;
use sqlx::AnyConnection;

use super::ActionItemView;
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, Projection, ProjectionError, Rebuild, RecordedEvent, StoredEvent,
};
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

    fn copy_columns(&self, row: &mut CopyRows) {
        row.boolean(self.completed)
            .text_or_null(self.conversation_id.as_deref())
            .bigint(micros(&self.created_at))
            .bigint_or_null(self.due_at.as_ref().map(micros));
    }
}

impl ActionItemsProjection {
    /// The rebuild of `action_items` from the whole log, folded in memory.
    pub(crate) fn in_memory(&self) -> Box<dyn Rebuild> {
        Box::new(DocumentRebuild::new(select, evolve))
    }
}

fn select(recorded: &RecordedEvent) -> Option<&ActionItemEvent> {
    match &recorded.event {
        StoredEvent::ActionItem(event) => Some(event),
        _ => None,
    }
}

fn evolve(
    id: &str,
    current: Option<Owned<ActionItemView>>,
    event: &ActionItemEvent,
) -> Option<Owned<ActionItemView>> {
    ActionItemView::evolve(id, current.map(|row| (row.uid, row.doc)), event)
        .map(|(uid, doc)| Owned { uid, doc })
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), evolve).await
}
