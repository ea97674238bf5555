//! Keeps the `chat_messages` table in step with the log: rows are keyed by message, not by thread.

use omi_domain::chat::ChatEvent;

use super::ChatMessageView;
use crate::documents::{changes_keyed, fold_into, Document, DocumentRebuild};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;
use crate::time::micros;

/// The projection behind [`super::current`] and [`super::message`].
pub struct ChatMessagesProjection;

impl Projection for ChatMessagesProjection {
    fn name(&self) -> &'static str {
        "chat_messages"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["ChatThread"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["chat_messages"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut sqlx::AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(async move {
            fold_into(
                conn,
                &changes_keyed(events, select, message_of),
                ChatMessageView::evolve,
            )
            .await
        })
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::keyed(
            select,
            ChatMessageView::evolve,
            message_of,
        ))
    }
}

impl Document for ChatMessageView {
    const TABLE: &'static str = "chat_messages";
    const COLUMNS: &'static [&'static str] = &["thread_id", "session", "number", "created_at"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.thread_id.clone())
            .bind(i64::from(self.session))
            .bind(i64::from(self.number))
            .bind(micros(&self.created_at))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.text(&self.thread_id)
            .bigint(i64::from(self.session))
            .bigint(i64::from(self.number))
            .bigint(micros(&self.created_at));
    }
}

/// The events that add or change a message; a clearing changes no row.
fn select(recorded: &RecordedEvent) -> Option<&ChatEvent> {
    match &recorded.event {
        StoredEvent::Chat(event) if event.message_id().is_some() => Some(event),
        _ => None,
    }
}

fn message_of<'a>(stream: &'a str, event: &'a ChatEvent) -> &'a str {
    event.message_id().unwrap_or(stream)
}
