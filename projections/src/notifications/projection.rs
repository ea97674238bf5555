//! Keeps the `notifications` table in step with the log.

use omi_domain::notification::NotificationEvent;

use super::NotificationView;
use crate::documents::{document_projection, Document};
use crate::runtime::{CopyRows, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;
use crate::time::micros;

document_projection! {
    /// The projection behind [`super::list`] and [`super::get`].
    NotificationsProjection {
        name: "notifications",
        reads: ["Notification"],
        table: "notifications",
        select: select,
        evolve: NotificationView::evolve,
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
