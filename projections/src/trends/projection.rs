//! Keeps the `trend_mentions` table in step with the log.

use sqlx::AnyConnection;

use super::view::ConversationTrends;
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, ProjectionError, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;
use crate::time::micros;

/// The projection behind [`super::trends`].
pub struct TrendsProjection;

impl Projection for TrendsProjection {
    fn name(&self) -> &'static str {
        "trends"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Conversation"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["trend_mentions"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }

    fn in_memory(&self) -> InMemoryRebuild {
        // The owner comes from the log's uid column (not the whole metadata), the time from its recording.
        InMemoryRebuild::new(DocumentRebuild::with_owner(select, evolve))
    }
}

impl Document for ConversationTrends {
    const TABLE: &'static str = "trend_mentions";
    const COLUMNS: &'static [&'static str] = &["created_at"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(micros(&self.created_at))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.bigint(micros(&self.created_at));
    }
}

fn select(recorded: &RecordedEvent) -> Option<&RecordedEvent> {
    match &recorded.event {
        StoredEvent::Conversation(event) => ConversationTrends::reads(event).then_some(recorded),
        _ => None,
    }
}

fn evolve(
    _id: &str,
    current: Option<Owned<ConversationTrends>>,
    recorded: &RecordedEvent,
) -> Option<Owned<ConversationTrends>> {
    let StoredEvent::Conversation(event) = &recorded.event else {
        return current;
    };
    Owned::next_by_log(current, recorded, |doc| {
        ConversationTrends::evolve(doc, event, recorded.recorded_at)
    })
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), evolve).await
}
