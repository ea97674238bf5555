//! Keeps the `integrations` table in step with the log.

use omi_domain::integration::IntegrationEvent;
use sqlx::AnyConnection;

use super::IntegrationView;
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, ProjectionError, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;

/// The projection behind [`super::get`].
pub struct IntegrationsProjection;

impl Projection for IntegrationsProjection {
    fn name(&self) -> &'static str {
        "integrations"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Integration"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["integrations"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(select, IntegrationView::evolve))
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

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), IntegrationView::evolve).await
}
