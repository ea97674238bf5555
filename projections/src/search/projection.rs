//! Keeps the search index in step with the log.

use std::collections::{HashMap, HashSet};

use omi_domain::conversation::ConversationEvent;
use omi_domain::memory::MemoryEvent;
use omi_store::Envelope;
use sqlx::{AnyConnection, Row};

use super::rows::{ConversationText, MemoryText, CONVERSATION_COLUMNS, MEMORY_COLUMNS};
use crate::conversations::{ConversationRow, ConversationView};
use crate::memories::MemoryView;
use crate::runtime::{
    ApplyFuture, CopySink, InMemoryRebuild, Projection, ProjectionError, Rebuild, RecordedEvent,
    StoredEvent,
};
use crate::sql::{delete_ids, in_list, placeholders, ROWS_PER_STATEMENT};

/// The projection behind [`super::conversations`] and [`super::memories`]. It comes after the `conversations`
/// and `memories` read models in the registry: it reads their rows of the conversations and memories a batch
/// touched, in the batch's own transaction.
pub struct SearchProjection;

impl Projection for SearchProjection {
    fn name(&self) -> &'static str {
        "search"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Conversation", "Memory"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["search_conversations", "search_memories"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(SearchRebuild::default())
    }
}

/// The conversations and memories whose streams the batch touched, each once.
fn touched(events: &[RecordedEvent]) -> (Vec<&str>, Vec<&str>) {
    let (mut conversations, mut memories) = (Vec::new(), Vec::new());
    let mut seen = HashSet::new();
    for recorded in events {
        let list = match recorded.event {
            // The conversation's text is the same before and after its embedding.
            StoredEvent::Conversation(
                ConversationEvent::ConversationEmbedded { .. }
                | ConversationEvent::AudioChunkRecorded { .. },
            )
            | StoredEvent::Memory(MemoryEvent::MemoryEmbedded { .. }) => continue,
            StoredEvent::Conversation(_) => &mut conversations,
            StoredEvent::Memory(_) => &mut memories,
            _ => continue,
        };
        let id = recorded.aggregate_id.as_str();
        if seen.insert(id) {
            list.push(id);
        }
    }
    (conversations, memories)
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    let (conversations, memories) = touched(events);
    // PostgreSQL's rows hold their lexemes (`words`), which the server analyses; FTS5 analyses its own.
    let words = conn.backend_name() == "PostgreSQL";
    for chunk in conversations.chunks(ROWS_PER_STATEMENT) {
        // Only completed conversations are searchable; the documents of the others are not read.
        let sql = format!(
            "SELECT id, uid, doc FROM conversations WHERE id IN ({}) AND status = 'completed'",
            in_list(1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        let mut rows = Vec::new();
        for row in query.fetch_all(&mut *conn).await? {
            let uid: String = row.try_get(1)?;
            let view: ConversationView = serde_json::from_str(&row.try_get::<String, _>(2)?)?;
            rows.extend(ConversationText::of(&uid, &view));
        }
        let kept: HashSet<&str> = rows.iter().map(|row| row.id.as_str()).collect();
        let gone: Vec<&str> = chunk
            .iter()
            .copied()
            .filter(|id| !kept.contains(id))
            .collect();
        delete_ids(conn, "search_conversations", &gone).await?;
        upsert(
            conn,
            "search_conversations",
            CONVERSATION_COLUMNS,
            &rows,
            words,
            |query, row, words| row.bind(query, words),
        )
        .await?;
    }
    for chunk in memories.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT doc FROM memories WHERE id IN ({})",
            in_list(1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        let mut views = Vec::new();
        for row in query.fetch_all(&mut *conn).await? {
            views.push(serde_json::from_str::<MemoryView>(
                &row.try_get::<String, _>(0)?,
            )?);
        }
        let rows: Vec<MemoryText> = views.iter().map(MemoryText::of).collect();
        let kept: HashSet<&str> = rows.iter().map(|row| row.id).collect();
        let gone: Vec<&str> = chunk
            .iter()
            .copied()
            .filter(|id| !kept.contains(id))
            .collect();
        delete_ids(conn, "search_memories", &gone).await?;
        upsert(
            conn,
            "search_memories",
            MEMORY_COLUMNS,
            &rows,
            words,
            |query, row, words| row.bind(query, words),
        )
        .await?;
    }
    Ok(())
}

/// Inserts or replaces `rows` (keyed by their first column, `id`). `columns` end with `words`, the row's lexemes:
/// with `words` (PostgreSQL) they are bound as text and read as a `tsvector`; without, that column is left out.
async fn upsert<T>(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: &[T],
    words: bool,
    bind: for<'q> fn(crate::sql::AnyQuery<'q>, &T, bool) -> crate::sql::AnyQuery<'q>,
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let columns = if words {
        columns
    } else {
        &columns[..columns.len() - 1]
    };
    let updates = columns[1..]
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES {} ON CONFLICT (id) DO UPDATE SET {updates}",
        columns.join(", "),
        values(rows.len(), columns.len(), words),
    );
    let mut query = sqlx::query(&sql);
    for row in rows {
        query = bind(query, row, words);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// `($1, $2, …), (…)` for `rows` rows of `columns` values; with `words`, each row's last value is read as a
/// `tsvector`.
fn values(rows: usize, columns: usize, words: bool) -> String {
    if !words {
        return placeholders(rows, columns);
    }
    (0..rows)
        .map(|row| {
            let cells = (1..=columns)
                .map(|column| {
                    let n = row * columns + column;
                    if column == columns {
                        format!("CAST(${n} AS tsvector)")
                    } else {
                        format!("${n}")
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!("({cells})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rebuild: conversations and memories folded from the log with their own read models' rules, then each
/// searchable one written as its row.
#[derive(Default)]
struct SearchRebuild {
    conversations: HashMap<String, (String, ConversationRow), foldhash::fast::RandomState>,
    memories: HashMap<String, MemoryView, foldhash::fast::RandomState>,
}

impl Rebuild for SearchRebuild {
    fn envelope(&self) -> Envelope {
        // The rows hold nothing of the recording time (a conversation's `updated_at`) nor of the metadata.
        Envelope::Omitted
    }

    fn fold(&mut self, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
        for recorded in events {
            let id = recorded.aggregate_id.as_str();
            match &recorded.event {
                StoredEvent::Conversation(event) => {
                    let current = self.conversations.remove(id);
                    if let Some(next) =
                        ConversationRow::evolve(id, current, event, recorded.recorded_at)
                    {
                        self.conversations.insert(id.to_string(), next);
                    }
                }
                StoredEvent::Memory(event) => {
                    let current = self.memories.remove(id);
                    if let Some(next) = MemoryView::evolve(id, current, event) {
                        self.memories.insert(id.to_string(), next);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn flush(&mut self, sink: &mut CopySink, rows: usize) -> Result<bool, ProjectionError> {
        let conversation_columns = CONVERSATION_COLUMNS.join(", ");
        let mut taken = 0;
        for (_, (uid, row)) in self.conversations.extract_if(|_, _| true).take(rows) {
            if let Some(text) = ConversationText::of(&uid, &row.view) {
                text.copy(sink.table("search_conversations", &conversation_columns));
            }
            taken += 1;
        }
        let memory_columns = MEMORY_COLUMNS.join(", ");
        for (_, view) in self.memories.extract_if(|_, _| true).take(rows - taken) {
            MemoryText::of(&view).copy(sink.table("search_memories", &memory_columns));
        }
        Ok(!(self.conversations.is_empty() && self.memories.is_empty()))
    }
}
