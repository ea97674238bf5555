//! Keeps the `api_keys` table in step with the log.

use sqlx::AnyConnection;

use super::view::StoredKey;
use crate::documents::{fold_into, Document, Owned};
use crate::runtime::{ApplyFuture, Projection, ProjectionError, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;
use crate::time::micros;

/// The projection behind [`super::by_hash`] and [`super::list`].
pub struct ApiKeysProjection;

impl Projection for ApiKeysProjection {
    fn name(&self) -> &'static str {
        "api_keys"
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
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    let changes: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.event {
            StoredEvent::ApiKey(event) => Some((e.aggregate_id.as_str(), event)),
            _ => None,
        })
        .collect();
    fold_into(
        conn,
        &changes,
        |id, current: Option<Owned<StoredKey>>, event| {
            StoredKey::evolve(id, current.map(|row| (row.uid, row.doc)), event)
                .map(|(uid, doc)| Owned { uid, doc })
        },
    )
    .await
}
