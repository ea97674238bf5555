//! The statistics projection of conversations: one contribution row per conversation, kept with the tally it is
//! derived from (`doc`), so the next event of the conversation moves its row. (Action items and memories
//! contribute through their own read models' rows: see the module's documentation.)

use omi_domain::conversation::ConversationEvent;
use sqlx::AnyConnection;

use super::tally::ConversationTally;
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;

/// The per-conversation contributions behind [`super::day`] and [`super::range`].
pub struct ConversationStatisticsProjection;

impl Projection for ConversationStatisticsProjection {
    fn name(&self) -> &'static str {
        "statistics_conversations"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Conversation"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["statistics_conversations"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(async move {
            fold_into(
                conn,
                &changes_of(events, select_conversation),
                evolve_conversation,
            )
            .await
        })
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(
            select_conversation,
            evolve_conversation,
        ))
    }
}

impl Document for ConversationTally {
    const TABLE: &'static str = "statistics_conversations";
    const COLUMNS: &'static [&'static str] = &[
        "day",
        "counted",
        "milliseconds",
        "words",
        "category",
        "people",
        "speakers",
    ];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        let counts = self.contribution();
        query
            .bind(counts.day)
            .bind(counts.counted)
            .bind(counts.milliseconds)
            .bind(counts.words)
            .bind(counts.category)
            .bind(counts.people.join("\n"))
            .bind(counts.speakers)
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        let counts = self.contribution();
        row.bigint(counts.day)
            .boolean(counts.counted)
            .bigint(counts.milliseconds)
            .bigint(counts.words)
            .text(&counts.category)
            .text(&counts.people.join("\n"))
            .bigint(counts.speakers);
    }
}

pub(crate) fn select_conversation(recorded: &RecordedEvent) -> Option<&ConversationEvent> {
    match &recorded.event {
        StoredEvent::Conversation(event) => Some(event),
        _ => None,
    }
}

pub(crate) fn evolve_conversation(
    _id: &str,
    current: Option<Owned<ConversationTally>>,
    event: &ConversationEvent,
) -> Option<Owned<ConversationTally>> {
    ConversationTally::evolve(current.map(|row| (row.uid, row.doc)), event)
        .map(|(uid, doc)| Owned { uid, doc })
}
