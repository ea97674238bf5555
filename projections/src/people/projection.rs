//! Keeps the `people` table in step with the log.

use omi_domain::person::PersonEvent;
use sqlx::AnyConnection;

use super::PersonView;
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, ProjectionError, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;
use crate::time::micros;

/// The projection behind [`super::list`], [`super::get`] and [`super::by_name`].
pub struct PeopleProjection;

impl Projection for PeopleProjection {
    fn name(&self) -> &'static str {
        "people"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Person"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["people"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(select, PersonView::evolve))
    }
}

impl Document for PersonView {
    const TABLE: &'static str = "people";
    const COLUMNS: &'static [&'static str] = &["normalized_name", "created_at"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.normalized_name())
            .bind(micros(&self.created_at))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.text(&self.normalized_name())
            .bigint(micros(&self.created_at));
    }
}

fn select(recorded: &RecordedEvent) -> Option<&PersonEvent> {
    match &recorded.event {
        StoredEvent::Person(event) => Some(event),
        _ => None,
    }
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), PersonView::evolve).await
}
