//! Keeps the `conversations` table in step with the log.

use omi_domain::conversation::{ConversationEvent, ConversationVisibility};
use sqlx::AnyConnection;

use super::view::ConversationRow;
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, ProjectionError, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;
use crate::time::micros;

/// The projection behind the queries of [`super`].
pub struct ConversationsProjection;

impl Projection for ConversationsProjection {
    fn name(&self) -> &'static str {
        "conversations"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Conversation"]
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

    fn in_memory(&self) -> InMemoryRebuild {
        // `updated_at` is the recording time of the conversation's last event.
        InMemoryRebuild::new(DocumentRebuild::with_recording_time(select, evolve))
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

    fn copy_columns(&self, row: &mut CopyRows) {
        let view = &self.view;
        // As in `bind_columns`.
        let list_doc = view.without_segments().unwrap_or_else(|e| {
            tracing::error!(id = %view.id, error = %e, "conversation list document not serializable");
            String::new()
        });
        row.text(view.status.as_str())
            .boolean(view.discarded)
            .bigint(micros(&view.created_at))
            .bigint_or_null(view.started_at.as_ref().map(micros))
            .bigint_or_null(view.finished_at.as_ref().map(micros))
            .text_or_null(view.folder_id.as_deref())
            .boolean(view.starred)
            .text(visibility_name(view.visibility))
            .bigint(i64::from(self.runs.requested))
            .bigint(i64::from(self.runs.finished))
            .text(&list_doc);
    }
}

/// Every conversation event but the embedding and the audio chunks, which the conversation's answer does not show
/// (semantic search's `search_vectors` holds the one, the audio spool the other): the rows stay untouched by them.
fn select(recorded: &RecordedEvent) -> Option<&RecordedEvent> {
    match &recorded.event {
        StoredEvent::Conversation(
            ConversationEvent::ConversationEmbedded { .. }
            | ConversationEvent::AudioChunkRecorded { .. },
        ) => None,
        StoredEvent::Conversation(_) => Some(recorded),
        _ => None,
    }
}

fn evolve(
    id: &str,
    current: Option<Owned<ConversationRow>>,
    recorded: &RecordedEvent,
) -> Option<Owned<ConversationRow>> {
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
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), evolve).await
}
