//! Keeps the `conversations` table in step with the log.

use omi_domain::conversation::ConversationVisibility;
use sqlx::AnyConnection;

use super::view::ConversationRow;
use crate::documents::{fold_into, Document, Owned};
use crate::runtime::{ApplyFuture, Projection, ProjectionError, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;
use crate::time::micros;

/// The projection behind the queries of [`super`].
pub struct ConversationsProjection;

impl Projection for ConversationsProjection {
    fn name(&self) -> &'static str {
        "conversations"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["conversations"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }
}

/// The stored name of a visibility.
pub(crate) fn visibility_name(visibility: ConversationVisibility) -> &'static str {
    match visibility {
        ConversationVisibility::Private => "private",
        ConversationVisibility::Shared => "shared",
        ConversationVisibility::Public => "public",
    }
}

impl Document for ConversationRow {
    const TABLE: &'static str = "conversations";
    const COLUMNS: &'static [&'static str] = &[
        "status",
        "discarded",
        "created_at",
        "started_at",
        "finished_at",
        "folder_id",
        "starred",
        "visibility",
        "requested_run",
        "finished_run",
        "list_doc",
    ];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        let view = &self.view;
        // Serializing a view cannot fail (string keys, no fallible serializers); should it ever, the list row
        // is left unreadable rather than the projector stopping, and the error shows when the list is read.
        let list_doc = view.without_segments().unwrap_or_else(|e| {
            tracing::error!(id = %view.id, error = %e, "conversation list document not serializable");
            String::new()
        });
        query
            .bind(view.status.as_str())
            .bind(view.discarded)
            .bind(micros(&view.created_at))
            .bind(view.started_at.as_ref().map(micros))
            .bind(view.finished_at.as_ref().map(micros))
            .bind(view.folder_id.clone())
            .bind(view.starred)
            .bind(visibility_name(view.visibility))
            .bind(i64::from(self.runs.requested))
            .bind(i64::from(self.runs.finished))
            .bind(list_doc)
    }
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    let changes: Vec<_> = events
        .iter()
        .filter(|e| matches!(e.event, StoredEvent::Conversation(_)))
        .map(|e| (e.aggregate_id.as_str(), e))
        .collect();
    fold_into(
        conn,
        &changes,
        |id, current: Option<Owned<ConversationRow>>, recorded: &RecordedEvent| {
            let StoredEvent::Conversation(event) = &recorded.event else {
                return current;
            };
            ConversationRow::evolve(
                id,
                current.map(|row| (row.uid, row.doc)),
                event,
                recorded.recorded_at,
            )
            .map(|(uid, doc)| Owned { uid, doc })
        },
    )
    .await
}
