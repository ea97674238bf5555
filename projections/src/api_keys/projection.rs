//! Keeps the `api_keys` table in step with the log.

use omi_domain::api_key::ApiKeyEvent;
use sqlx::AnyConnection;

use super::view::StoredKey;
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, ProjectionError, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;
use crate::time::micros;

/// The projection behind [`super::by_hash`] and [`super::list`].
pub struct ApiKeysProjection;

impl Projection for ApiKeysProjection {
    fn name(&self) -> &'static str {
        "api_keys"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["ApiKey"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["api_keys"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(select, evolve))
    }
}

impl Document for StoredKey {
    const TABLE: &'static str = "api_keys";
    const COLUMNS: &'static [&'static str] = &["family", "hashed_key", "created_at"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.family.as_str())
            .bind(self.hashed_key.clone())
            .bind(micros(&self.view.created_at))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.text(self.family.as_str())
            .text(&self.hashed_key)
            .bigint(micros(&self.view.created_at));
    }
}

fn select(recorded: &RecordedEvent) -> Option<&ApiKeyEvent> {
    match &recorded.event {
        StoredEvent::ApiKey(event) => Some(event),
        _ => None,
    }
}

fn evolve(
    id: &str,
    current: Option<Owned<StoredKey>>,
    event: &ApiKeyEvent,
) -> Option<Owned<StoredKey>> {
    StoredKey::evolve(id, current.map(|row| (row.uid, row.doc)), event)
        .map(|(uid, doc)| Owned { uid, doc })
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), evolve).await
}
