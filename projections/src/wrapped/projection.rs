//! Keeps the `wrapped` table in step with the log.

use omi_domain::wrapped::WrappedEvent;
use sqlx::AnyConnection;

use super::WrappedView;
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;

/// The projection behind [`super::get`].
pub struct WrappedProjection;

impl Projection for WrappedProjection {
    fn name(&self) -> &'static str {
        "wrapped"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Wrapped"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["wrapped"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(async move { fold_into(conn, &changes_of(events, select), evolve).await })
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(select, evolve))
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
