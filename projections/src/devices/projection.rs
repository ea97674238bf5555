//! Keeps the `devices` table in step with the log.

use omi_domain::device::DeviceEvent;

use super::DeviceView;
use crate::documents::{document_projection, Document};
use crate::runtime::{CopyRows, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;
use crate::time::micros;

document_projection! {
    /// The projection behind [`super::of_user`].
    DevicesProjection {
        name: "devices",
        reads: ["Device"],
        table: "devices",
        select: select,
        evolve: DeviceView::evolve,
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
