//! Keeps the `api_keys` table in step with the log.

use omi_domain::api_key::ApiKeyEvent;

use super::view::StoredKey;
use crate::documents::{document_projection, Document, Owned};
use crate::runtime::{CopyRows, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;
use crate::time::micros;

document_projection! {
    /// The projection behind [`super::by_hash`] and [`super::list`].
    ApiKeysProjection {
        name: "api_keys",
        reads: ["ApiKey"],
        table: "api_keys",
        select: select,
        evolve: evolve,
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
