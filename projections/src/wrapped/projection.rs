//! Keeps the `wrapped` table in step with the log.

use omi_domain::wrapped::WrappedEvent;

use super::WrappedView;
use crate::documents::{document_projection, Document, Owned};
use crate::runtime::{CopyRows, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;

document_projection! {
    /// The projection behind [`super::get`].
    WrappedProjection {
        name: "wrapped",
        reads: ["Wrapped"],
        table: "wrapped",
        select: select,
        evolve: evolve,
    }
}

impl Document for WrappedView {
    const TABLE: &'static str = "wrapped";
    const COLUMNS: &'static [&'static str] = &["year"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(i64::from(self.year))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.bigint(i64::from(self.year));
    }
}

fn select(recorded: &RecordedEvent) -> Option<&WrappedEvent> {
    match &recorded.event {
        StoredEvent::Wrapped(event) => Some(event),
        _ => None,
    }
}

fn evolve(
    _id: &str,
    current: Option<Owned<WrappedView>>,
    event: &WrappedEvent,
) -> Option<Owned<WrappedView>> {
    WrappedView::evolve(current.map(|row| (row.uid, row.doc)), event)
        .map(|(uid, doc)| Owned { uid, doc })
}
