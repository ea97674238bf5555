//! Semantic search's read model: the latest embedding of each conversation (`ConversationEmbedded`), one row per
//! conversation in `search_vectors` with the model that made it, and the nearest conversations to a query's
//! vector among those search may find.
//!
//! The vectors come from the log (the reaction that asked the embeddings server recorded them), so a replay
//! restores them without asking the server again. A new processing run, a deletion or a merge drops the row
//! until the run's own vector is recorded.

use chrono::{DateTime, Utc};
use omi_domain::conversation::{ConversationEvent, Embedding};
use omi_store::{Backend, Database, LogPosition};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use super::queries::{bind_filter, filter_clauses};
use super::{Hit, SearchFilter};
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, ProjectionError, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;

/// The embedding of one conversation's latest processing run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ConversationVector {
    /// The processing run embedded.
    pub run: u32,
    pub model: String,
    pub vector: Embedding,
}

impl ConversationVector {
    fn evolve(
        current: Option<ConversationVector>,
        event: &ConversationEvent,
    ) -> Option<ConversationVector> {
        match event {
            ConversationEvent::ConversationEmbedded {
                run, model, vector, ..
            } => Some(ConversationVector {
                run: *run,
                model: model.clone(),
                vector: vector.clone(),
            }),
            ConversationEvent::ConversationProcessed { .. }
            | ConversationEvent::ConversationDeleted { .. }
            | ConversationEvent::ConversationMerged { .. } => None,
            _ => current,
        }
    }

    fn reads(event: &ConversationEvent) -> bool {
        matches!(
            event,
            ConversationEvent::ConversationEmbedded { .. }
                | ConversationEvent::ConversationProcessed { .. }
                | ConversationEvent::ConversationDeleted { .. }
                | ConversationEvent::ConversationMerged { .. }
        )
    }
}

impl Document for ConversationVector {
    const TABLE: &'static str = "search_vectors";
    const COLUMNS: &'static [&'static str] = &["model"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(self.model.clone())
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.text(&self.model);
    }
}

/// The projection behind [`nearest`].
pub struct SearchVectorsProjection;

impl Projection for SearchVectorsProjection {
    fn name(&self) -> &'static str {
        "search_vectors"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Conversation"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["search_vectors"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }

    fn in_memory(&self) -> InMemoryRebuild {
        // The owner comes from the log's uid column.
        InMemoryRebuild::new(DocumentRebuild::with_owner(select, evolve))
    }
}

fn select(recorded: &RecordedEvent) -> Option<&RecordedEvent> {
    match &recorded.event {
        StoredEvent::Conversation(event) => ConversationVector::reads(event).then_some(recorded),
        _ => None,
    }
}

fn evolve(
    _id: &str,
    current: Option<Owned<ConversationVector>>,
    recorded: &RecordedEvent,
) -> Option<Owned<ConversationVector>> {
    let StoredEvent::Conversation(event) = &recorded.event else {
        return current;
    };
    Owned::next_by_log(current, recorded, |doc| {
        ConversationVector::evolve(doc, event)
    })
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), evolve).await
}

/// The processing run and model of conversation `id`'s recorded embedding, if it has one.
pub async fn embedded_run(
    database: &Database,
    id: &str,
) -> Result<Option<(u32, String)>, ProjectionError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT doc FROM search_vectors WHERE id = $1")
        .bind(id)
        .fetch_optional(database.pool())
        .await?;
    let Some((doc,)) = row else {
        return Ok(None);
    };
    let stored: ConversationVector = serde_json::from_str(&doc)?;
    Ok(Some((stored.run, stored.model)))
}

/// What the embeddings backfill walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackfillKind {
    /// Completed conversations; a processing after the bound is the conversation embeddings reaction's.
    Conversations,
    /// Memories; a creation after the bound is the memory embeddings reaction's.
    Memories,
}

impl BackfillKind {
    /// The window's statement: parameters model, after, window, and the bound (on PostgreSQL `$4`, `$5`: its
    /// transaction and global position; on SQLite `$4`: its global position). An event after the bound in the log's commit order (on PostgreSQL the writing transaction first,
    /// as the reactions read) is the reaction's.
    fn sql(self, backend: Backend) -> String {
        let (table, aggregate, event, vectors, completed) = match self {
            BackfillKind::Conversations => (
                "conversations",
                "Conversation",
                "ConversationProcessed",
                "search_vectors",
                " AND status = 'completed'",
            ),
            BackfillKind::Memories => ("memories", "Memory", "MemoryCreated", "memory_vectors", ""),
        };
        let after_bound = match backend {
            Backend::Postgres => {
                "(e.transaction_id, e.global_position) > (CAST(CAST($4 AS TEXT) AS xid8), $5)"
            }
            // One writer at a time: positions are in commit order.
            Backend::Sqlite => "e.global_position > $4",
        };
        format!(
            "SELECT w.id, w.uid,
                    CAST(CASE WHEN v.id IS NULL AND NOT EXISTS (
                        SELECT 1 FROM events e
                        WHERE e.aggregate_type = '{aggregate}' AND e.aggregate_id = w.id
                          AND e.event_type = '{event}' AND {after_bound}
                    ) THEN 1 ELSE 0 END AS BIGINT)
             FROM (SELECT id, uid FROM {table} WHERE id > $2{completed} ORDER BY id LIMIT $3) w
             LEFT JOIN {vectors} v ON v.id = w.id AND v.model = $1
             ORDER BY w.id"
        )
    }
}

/// A conversation or memory the embeddings backfill walked past: whether it still needs a vector.
#[derive(Debug, Clone, PartialEq)]
pub struct BackfillCandidate {
    pub id: String,
    pub uid: String,
    /// It has no vector by the model, and it was not processed (or created) after the bound the backfill was
    /// given (those are the embeddings reactions').
    pub needed: bool,
}

/// The next window of at most `window` conversations or memories (`kind`) of any user after id `after`, in id
/// order: what the embeddings backfill walks. One processed (or created) after `reaction_passed` in the log's
/// commit order (where the kind's embeddings reaction stood when the walk began) is the reaction's.
pub async fn backfill_window(
    database: &Database,
    kind: BackfillKind,
    model: &str,
    after: &str,
    window: i64,
    reaction_passed: LogPosition,
) -> Result<Vec<BackfillCandidate>, ProjectionError> {
    let backend = database.backend();
    let sql = kind.sql(backend);
    let query = sqlx::query(&sql).bind(model).bind(after).bind(window);
    let query = match backend {
        Backend::Postgres => query
            .bind(reaction_passed.transaction)
            .bind(reaction_passed.global),
        Backend::Sqlite => query.bind(reaction_passed.global),
    };
    let rows = query.fetch_all(database.pool()).await?;
    rows.iter()
        .map(|row| {
            Ok(BackfillCandidate {
                id: row.try_get(0)?,
                uid: row.try_get(1)?,
                needed: row.try_get::<i64, _>(2)? == 1,
            })
        })
        .collect()
}

/// At most `limit` of the user's conversations that `filter` lets search find and whose vector by `model` is at
/// least `min_similarity` (cosine) from `query`, the nearest first (then the newest, then by id). A hit's
/// `score` is its cosine similarity.
pub async fn nearest(
    database: &Database,
    uid: &str,
    model: &str,
    query: &Embedding,
    filter: &SearchFilter,
    min_similarity: f64,
    limit: usize,
) -> Result<Vec<Hit>, ProjectionError> {
    let backend = database.backend();
    let filters = filter_clauses(backend, filter, 3);
    let sql = format!(
        "SELECT v.id, v.doc, c.created_at FROM search_vectors v
         JOIN search_conversations c ON c.id = v.id
         WHERE v.uid = $1 AND v.model = $2 AND c.uid = $1 {filters}"
    );
    let rows = bind_filter(sqlx::query(&sql).bind(uid).bind(model), filter)
        .fetch_all(database.pool())
        .await?;
    nearest_rows::<ConversationVector>(&rows, query, min_similarity, limit, |stored| &stored.vector)
}

/// The rows `(id, doc, created_at)` of a vector read model whose vector is at least `min_similarity` from
/// `query`, the nearest first (then the newest, then by id), at most `limit`; a hit's score is its cosine.
pub(super) fn nearest_rows<D: serde::de::DeserializeOwned>(
    rows: &[sqlx::any::AnyRow],
    query: &Embedding,
    min_similarity: f64,
    limit: usize,
    vector: impl Fn(&D) -> &Embedding,
) -> Result<Vec<Hit>, ProjectionError> {
    let mut hits = Vec::new();
    for row in rows {
        let doc: String = row.try_get(1)?;
        let stored: D = serde_json::from_str(&doc)?;
        let score = query.cosine(vector(&stored));
        if score < min_similarity {
            continue;
        }
        let created_at: i64 = row.try_get(2)?;
        hits.push(Hit {
            id: row.try_get(0)?,
            score,
            created_at: DateTime::<Utc>::from_timestamp_micros(created_at).unwrap_or_default(),
        });
    }
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.created_at.cmp(&a.created_at))
            .then(a.id.cmp(&b.id))
    });
    hits.truncate(limit);
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn embedded(values: Vec<f32>) -> ConversationEvent {
        ConversationEvent::ConversationEmbedded {
            run: 1,
            model: "m".into(),
            vector: Embedding::new(values).unwrap(),
            embedded_at: Utc.timestamp_opt(1, 0).unwrap(),
        }
    }

    #[test]
    fn a_new_vector_replaces_the_old_and_a_deletion_drops_it() {
        let first = ConversationVector::evolve(None, &embedded(vec![1.0, 0.0])).unwrap();
        let second = ConversationVector::evolve(Some(first), &embedded(vec![0.0, 1.0])).unwrap();
        assert_eq!(second.vector.values(), &[0.0, 1.0]);
        let deleted = ConversationEvent::ConversationDeleted {
            reason: "user".into(),
            at: Utc.timestamp_opt(2, 0).unwrap(),
        };
        assert!(ConversationVector::reads(&deleted));
        assert_eq!(ConversationVector::evolve(Some(second), &deleted), None);
        let renamed = ConversationEvent::TitleEdited {
            title: "x".into(),
            at: Utc.timestamp_opt(3, 0).unwrap(),
        };
        assert!(!ConversationVector::reads(&renamed));
    }
}
