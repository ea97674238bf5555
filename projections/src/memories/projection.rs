//! Keeps the `memories` table in step with the log.

use omi_domain::memory::MemoryEvent;
use sqlx::AnyConnection;

use super::MemoryView;
use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::json::JsonObject;
use crate::runtime::{
    ApplyFuture, CopyRows, Projection, ProjectionError, Rebuild, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;
use crate::time::micros;

/// The projection behind [`super::list`] and [`super::get`].
pub struct MemoriesProjection;

impl Projection for MemoriesProjection {
    fn name(&self) -> &'static str {
        "memories"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["memories"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(apply(conn, events))
    }
}

impl Document for MemoryView {
    const TABLE: &'static str = "memories";
    const COLUMNS: &'static [&'static str] =
        &["category", "scoring", "conversation_id", "created_at"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.category.as_str())
            .bind(self.scoring.clone())
            .bind(self.conversation_id.clone())
            .bind(micros(&self.created_at))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.text(self.category.as_str())
            .text(&self.scoring)
            .text_or_null(self.conversation_id.as_deref())
            .bigint(micros(&self.created_at));
    }

    fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut doc = JsonObject::with_capacity(480 + self.content.len());
        doc.str("id", &self.id)
            .str("uid", &self.uid)
            .str("content", &self.content)
            .value("category", &self.category)?
            .value("visibility", &self.visibility)?
            .strs("tags", &self.tags)
            .time("created_at", &self.created_at)
            .time("updated_at", &self.updated_at)
            .opt_str("conversation_id", self.conversation_id.as_deref())
            .bool("reviewed", self.reviewed)
            .opt_bool("user_review", self.user_review)
            .bool("manually_added", self.manually_added)
            .bool("edited", self.edited)
            .str("scoring", &self.scoring)
            .opt_str("app_id", self.app_id.as_deref())
            .opt_str(
                "data_protection_level",
                self.data_protection_level.as_deref(),
            )
            .bool("is_locked", self.is_locked)
            .bool("kg_extracted", self.kg_extracted);
        Ok(doc.finish())
    }
}

impl MemoriesProjection {
    /// The rebuild of `memories` from the whole log, folded in memory.
    pub(crate) fn in_memory(&self) -> Box<dyn Rebuild> {
        Box::new(DocumentRebuild::new(select, evolve))
    }
}

fn select(recorded: &RecordedEvent) -> Option<&MemoryEvent> {
    match &recorded.event {
        StoredEvent::Memory(event) => Some(event),
        _ => None,
    }
}

fn evolve(
    id: &str,
    current: Option<Owned<MemoryView>>,
    event: &MemoryEvent,
) -> Option<Owned<MemoryView>> {
    MemoryView::evolve(id, current.map(|row| row.doc), event).map(|doc| Owned {
        uid: doc.uid.clone(),
        doc,
    })
}

async fn apply(conn: &mut AnyConnection, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
    fold_into(conn, &changes_of(events, select), evolve).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use omi_domain::memory::{MemoryCategory, Visibility};

    #[test]
    fn documents_are_written_as_serde_writes_them() {
        let tricky = "quote \" backslash \\ tab \t newline \n nul \u{0} é 日本 \u{1F600}";
        let at = Utc.timestamp_opt(1_747_630_818, 661_561_000).unwrap();
        let full = MemoryView {
            id: "759c29b7-a7d9-53e5-a905-2ac1fb78132b".into(),
            uid: "u\"1".into(),
            content: tricky.into(),
            category: MemoryCategory::Interesting,
            visibility: Visibility::Public,
            tags: vec!["a".into(), tricky.into()],
            created_at: at,
            updated_at: Utc.timestamp_opt(1_747_630_900, 0).unwrap(),
            conversation_id: Some("c1".into()),
            reviewed: true,
            user_review: Some(false),
            manually_added: true,
            edited: true,
            scoring: "01_999_1747630818".into(),
            app_id: Some("app".into()),
            data_protection_level: Some("standard".into()),
            is_locked: true,
            kg_extracted: true,
        };
        let bare = MemoryView {
            content: String::new(),
            category: MemoryCategory::System,
            visibility: Visibility::Private,
            tags: vec![],
            conversation_id: None,
            reviewed: false,
            user_review: None,
            manually_added: false,
            edited: false,
            app_id: None,
            data_protection_level: None,
            is_locked: false,
            kg_extracted: false,
            ..full.clone()
        };
        for view in [full, bare] {
            assert_eq!(
                view.to_json().unwrap(),
                serde_json::to_string(&view).unwrap()
            );
        }
    }
}
