//! Keeps the `integrations` table in step with the log.

use omi_domain::integration::IntegrationEvent;

use super::IntegrationView;
use crate::documents::{document_projection, Document};
use crate::runtime::{CopyRows, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;

document_projection! {
    /// The projection behind [`super::get`].
    IntegrationsProjection {
        name: "integrations",
        reads: ["Integration"],
        table: "integrations",
        select: select,
        evolve: IntegrationView::evolve,
    }
}

impl Document for IntegrationView {
    const TABLE: &'static str = "integrations";
    const COLUMNS: &'static [&'static str] = &["app_key"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(self.app_key.clone())
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.text(&self.app_key);
    }
}

fn select(recorded: &RecordedEvent) -> Option<&IntegrationEvent> {
    match &recorded.event {
        StoredEvent::Integration(event) => Some(event),
        _ => None,
    }
}
