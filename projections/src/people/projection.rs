//! Keeps the `people` table in step with the log.

use omi_domain::person::PersonEvent;

use super::PersonView;
use crate::documents::{document_projection, Document};
use crate::runtime::{CopyRows, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;
use crate::time::micros;

document_projection! {
    /// The projection behind [`super::list`], [`super::get`] and [`super::by_name`].
    PeopleProjection {
        name: "people",
        reads: ["Person"],
        table: "people",
        select: select,
        evolve: PersonView::evolve,
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
