//! The three statistics projections: one contribution row per conversation, action item and memory, each kept
//! with the tally it is derived from (`doc`), so the next event of the entity moves its row.

use omi_domain::action_item::ActionItemEvent;
use omi_domain::conversation::ConversationEvent;
use omi_domain::memory::MemoryEvent;
use sqlx::AnyConnection;

use super::tally::{ActionItemTally, ConversationTally, MemoryTally};
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;

/// The per-conversation contributions behind [`super::day`] and [`super::range`].
pub struct ConversationStatisticsProjection;

/// The per-action-item contributions behind [`super::day`] and [`super::range`].
pub struct ActionItemStatisticsProjection;

/// The per-memory contributions behind [`super::day`] and [`super::range`].
pub struct MemoryStatisticsProjection;

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

impl Projection for ActionItemStatisticsProjection {
    fn name(&self) -> &'static str {
        "statistics_action_items"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["ActionItem"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["statistics_action_items"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(async move {
            fold_into(
                conn,
                &changes_of(events, select_action_item),
                evolve_action_item,
            )
            .await
        })
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(select_action_item, evolve_action_item))
    }
}

impl Projection for MemoryStatisticsProjection {
    fn name(&self) -> &'static str {
        "statistics_memories"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Memory"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["statistics_memories"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(
            async move { fold_into(conn, &changes_of(events, select_memory), evolve_memory).await },
        )
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(select_memory, evolve_memory))
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

impl Document for ActionItemTally {
    const TABLE: &'static str = "statistics_action_items";
    const COLUMNS: &'static [&'static str] = &["created_day", "completed_day"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(self.created_day).bind(self.completed_day)
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.bigint(self.created_day)
            .bigint_or_null(self.completed_day);
    }
}

impl Document for MemoryTally {
    const TABLE: &'static str = "statistics_memories";
    const COLUMNS: &'static [&'static str] = &["day"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(self.day)
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.bigint(self.day);
    }
}

pub(crate) fn select_conversation(recorded: &RecordedEvent) -> Option<&ConversationEvent> {
    match &recorded.event {
        StoredEvent::Conversation(event) => Some(event),
        _ => None,
    }
}

pub(crate) fn select_action_item(recorded: &RecordedEvent) -> Option<&ActionItemEvent> {
    match &recorded.event {
        StoredEvent::ActionItem(event) => Some(event),
        _ => None,
    }
}

pub(crate) fn select_memory(recorded: &RecordedEvent) -> Option<&MemoryEvent> {
    match &recorded.event {
        StoredEvent::Memory(event) => Some(event),
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

pub(crate) fn evolve_action_item(
    _id: &str,
    current: Option<Owned<ActionItemTally>>,
    event: &ActionItemEvent,
) -> Option<Owned<ActionItemTally>> {
    ActionItemTally::evolve(current.map(|row| (row.uid, row.doc)), event)
        .map(|(uid, doc)| Owned { uid, doc })
}

pub(crate) fn evolve_memory(
    _id: &str,
    current: Option<Owned<MemoryTally>>,
    event: &MemoryEvent,
) -> Option<Owned<MemoryTally>> {
    MemoryTally::evolve(current.map(|row| (row.uid, row.doc)), event)
        .map(|(uid, doc)| Owned { uid, doc })
}
