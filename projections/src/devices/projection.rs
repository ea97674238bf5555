//! Keeps the `devices` table in step with the log.

use omi_domain::device::DeviceEvent;
use sqlx::AnyConnection;

use super::DeviceView;
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, ProjectionError, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;
use crate::time::micros;

/// The projection behind [`super::of_user`].
pub struct DevicesProjection;

impl Projection for DevicesProjection {
    fn name(&self) -> &'static str {
        "devices"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Device"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["devices"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(select, DeviceView::evolve))
    }
}

impl Document for DeviceView {
    const TABLE: &'static str = "devices";
    const COLUMNS: &'static [&'static str] = &["registered_at"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(micros(&self.registered_at))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.bigint(micros(&self.registered_at));
    }
}

fn select(recorded: &RecordedEvent) -> Option<&DeviceEvent> {
    match &recorded.event {
        StoredEvent::Device(event) => Some(event),
        _ => None,
    }
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), DeviceView::evolve).await
}
