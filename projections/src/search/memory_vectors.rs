//! Semantic search of memories: the latest embedding of each memory's content (`MemoryEmbedded`), one row per
//! memory in `memory_vectors` with the model that made it, and the nearest memories to a query's vector.
//!
//! As with conversations (`vectors`), the vectors come from the log, so a replay restores them without asking the
//! embeddings server again. A deletion drops the row; an edit of the content keeps the old vector until the new
//! one is recorded.

use omi_domain::conversation::Embedding;
use omi_domain::memory::MemoryEvent;
use omi_store::Database;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::vectors::nearest_rows;
use super::Hit;
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, ProjectionError, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;

/// The embedding of one memory's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct MemoryVector {
    pub model: String,
    pub vector: Embedding,
}

impl MemoryVector {
    fn evolve(current: Option<MemoryVector>, event: &MemoryEvent) -> Option<MemoryVector> {
        match event {
            MemoryEvent::MemoryEmbedded { model, vector, .. } => Some(MemoryVector {
                model: model.clone(),
                vector: vector.clone(),
            }),
            // The deletion drops the row, so a memory written anew starts without a vector (its creation is not
            // read: every memory written would cost the batch a statement).
            MemoryEvent::MemoryDeleted { .. } => None,
            _ => current,
        }
    }

    fn reads(event: &MemoryEvent) -> bool {
        matches!(
            event,
            MemoryEvent::MemoryEmbedded { .. } | MemoryEvent::MemoryDeleted { .. }
        )
    }
}

impl Document for MemoryVector {
    const TABLE: &'static str = "memory_vectors";
    const COLUMNS: &'static [&'static str] = &["model"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(self.model.clone())
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.text(&self.model);
    }
}

/// The projection behind [`nearest_memories`].
pub struct MemoryVectorsProjection;

impl Projection for MemoryVectorsProjection {
    fn name(&self) -> &'static str {
        "memory_vectors"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Memory"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["memory_vectors"]
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
        StoredEvent::Memory(event) => MemoryVector::reads(event).then_some(recorded),
        _ => None,
    }
}

fn evolve(
    _id: &str,
    current: Option<Owned<MemoryVector>>,
    recorded: &RecordedEvent,
) -> Option<Owned<MemoryVector>> {
    let StoredEvent::Memory(event) = &recorded.event else {
        return current;
    };
    Owned::next_by_log(current, recorded, |doc| MemoryVector::evolve(doc, event))
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), evolve).await
}

/// At most `limit` of the user's memories whose vector by `model` is at least `min_similarity` (cosine) from
/// `query`, the nearest first (then the newest, then by id). A hit's `score` is its cosine similarity.
pub async fn nearest_memories(
    database: &Database,
    uid: &str,
    model: &str,
    query: &Embedding,
    min_similarity: f64,
    limit: usize,
) -> Result<Vec<Hit>, ProjectionError> {
    let rows = sqlx::query(
        "SELECT v.id, v.doc, m.created_at FROM memory_vectors v
         JOIN search_memories m ON m.id = v.id
         WHERE v.uid = $1 AND v.model = $2 AND m.uid = $1",
    )
    .bind(uid)
    .bind(model)
    .fetch_all(database.pool())
    .await?;
    nearest_rows::<MemoryVector>(&rows, query, min_similarity, limit, |stored| &stored.vector)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn embedded(values: Vec<f32>) -> MemoryEvent {
        MemoryEvent::MemoryEmbedded {
            model: "m".into(),
            vector: Embedding::new(values).unwrap(),
            embedded_at: Utc.timestamp_opt(1, 0).unwrap(),
        }
    }

    #[test]
    fn a_new_vector_replaces_the_old_an_edit_keeps_it_and_a_deletion_drops_it() {
        let first = MemoryVector::evolve(None, &embedded(vec![1.0, 0.0])).unwrap();
        let second = MemoryVector::evolve(Some(first), &embedded(vec![0.0, 1.0])).unwrap();
        assert_eq!(second.vector.values(), &[0.0, 1.0]);
        let edited = MemoryEvent::MemoryEdited {
            content: Some("x".into()),
            category: None,
            tags: None,
            updated_at: Utc.timestamp_opt(2, 0).unwrap(),
        };
        assert!(!MemoryVector::reads(&edited));
        let created = MemoryEvent::MemoryCreated {
            uid: "u".into(),
            content: "x".into(),
            category: omi_domain::memory::MemoryCategory::Interesting,
            visibility: omi_domain::memory::Visibility::Private,
            tags: vec![],
            manually_added: true,
            reviewed: true,
            user_review: None,
            conversation_id: None,
            app_id: None,
            created_at: Utc.timestamp_opt(2, 0).unwrap(),
        };
        assert!(
            !MemoryVector::reads(&created),
            "writing a memory costs its vectors nothing"
        );
        let deleted = MemoryEvent::MemoryDeleted {
            deleted_at: Utc.timestamp_opt(3, 0).unwrap(),
        };
        assert!(MemoryVector::reads(&deleted));
        assert_eq!(MemoryVector::evolve(Some(second), &deleted), None);
    }
}
