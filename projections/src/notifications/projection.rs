//! Keeps the `notifications` table in step with the log.

use omi_domain::notification::NotificationEvent;
use sqlx::AnyConnection;

use super::NotificationView;
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, ProjectionError, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;
use crate::time::micros;

/// The projection behind [`super::list`] and [`super::get`].
pub struct NotificationsProjection;

impl Projection for NotificationsProjection {
    fn name(&self) -> &'static str {
        "notifications"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Notification"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["notifications"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(select, NotificationView::evolve))
    }
}

impl Document for NotificationView {
    const TABLE: &'static str = "notifications";
    const COLUMNS: &'static [&'static str] = &["created_at"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(micros(&self.created_at))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.bigint(micros(&self.created_at));
    }
}

fn select(recorded: &RecordedEvent) -> Option<&NotificationEvent> {
    match &recorded.event {
        StoredEvent::Notification(event) => Some(event),
        _ => None,
    }
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), NotificationView::evolve).await
}
