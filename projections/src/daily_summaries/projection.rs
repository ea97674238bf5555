//! Keeps the `daily_summaries` table in step with the log.

use omi_domain::daily_summary::DailySummaryEvent;

use super::view::StoredSummary;
use crate::documents::{document_projection, Document, Owned};
use crate::runtime::{CopyRows, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;

document_projection! {
    /// The projection behind [`super::list`], [`super::get`], [`super::shared`] and [`super::written_on`].
    DailySummariesProjection {
        name: "daily_summaries",
        reads: ["DailySummary"],
        table: "daily_summaries",
        select: select,
        evolve: evolve,
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
