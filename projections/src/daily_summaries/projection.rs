//! Keeps the `daily_summaries` table in step with the log.

use omi_domain::daily_summary::DailySummaryEvent;
use sqlx::AnyConnection;

use super::view::StoredSummary;
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, ProjectionError, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;

/// The projection behind [`super::list`], [`super::get`], [`super::shared`] and [`super::written_on`].
pub struct DailySummariesProjection;

impl Projection for DailySummariesProjection {
    fn name(&self) -> &'static str {
        "daily_summaries"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["DailySummary"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["daily_summaries"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(select, evolve))
    }
}

impl Document for StoredSummary {
    const TABLE: &'static str = "daily_summaries";
    const COLUMNS: &'static [&'static str] = &["date", "deleted", "visibility"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.view.date.to_string())
            .bind(self.deleted)
            .bind(self.view.visibility.as_str())
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.text(&self.view.date.to_string())
            .boolean(self.deleted)
            .text(self.view.visibility.as_str());
    }
}

fn select(recorded: &RecordedEvent) -> Option<&DailySummaryEvent> {
    match &recorded.event {
        StoredEvent::DailySummary(event) => Some(event),
        _ => None,
    }
}

fn evolve(
    id: &str,
    current: Option<Owned<StoredSummary>>,
    event: &DailySummaryEvent,
) -> Option<Owned<StoredSummary>> {
    StoredSummary::evolve(id, current.map(|row| (row.uid, row.doc)), event)
        .map(|(uid, doc)| Owned { uid, doc })
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), evolve).await
}
