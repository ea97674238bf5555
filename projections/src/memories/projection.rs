//! Keeps the `memories` table in step with the log.

use omi_domain::memory::MemoryEvent;

use super::MemoryView;
use crate::documents::{document_projection, Document, Owned};
use crate::json::JsonFields;
use crate::runtime::{CopyRows, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;
use crate::time::micros;

document_projection! {
    /// The projection behind [`super::list`] and [`super::get`].
    MemoriesProjection {
        name: "memories",
        reads: ["Memory"],
        table: "memories",
        select: select,
        evolve: evolve,
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
        Ok(self.fields()?.finish())
    }
}

impl MemoryView {
    /// The stored document: every field, in declaration order (see [`JsonFields`]).
    fn fields(&self) -> Result<JsonFields, serde_json::Error> {
        let mut doc = JsonFields::with_capacity(300 + self.content.len());
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
        Ok(doc)
    }
}

fn select(recorded: &RecordedEvent) -> Option<&MemoryEvent> {
    match &recorded.event {
        // The memory reads the same before and after its embedding.
        StoredEvent::Memory(MemoryEvent::MemoryEmbedded { .. }) => None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::field_names;
    use chrono::{TimeZone, Utc};
    use omi_domain::memory::{MemoryCategory, Visibility};

    /// Views in which every field differs from its neighbours of the same type, then each flag set alone: a
    /// document that swapped two fields would not read back as the view it came from.
    fn views() -> Vec<MemoryView> {
        let tricky = "quote \" backslash \\ tab \t newline \n nul \u{0} é 日本 \u{1F600}";
        let full = MemoryView {
            id: "759c29b7-a7d9-53e5-a905-2ac1fb78132b".into(),
            uid: "u\"1".into(),
            content: tricky.into(),
            category: MemoryCategory::Interesting,
            visibility: Visibility::Public,
            tags: vec!["a".into(), tricky.into()],
            created_at: Utc.timestamp_opt(1_747_630_818, 661_561_000).unwrap(),
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
        let mut views = vec![full, bare.clone()];
        for flag in 0..6 {
            let mut view = bare.clone();
            match flag {
                0 => view.reviewed = true,
                1 => view.user_review = Some(true),
                2 => view.manually_added = true,
                3 => view.edited = true,
                4 => view.is_locked = true,
                _ => view.kg_extracted = true,
            }
            views.push(view);
        }
        views
    }

    #[test]
    fn documents_hold_every_field_in_declaration_order() {
        for view in views() {
            let fields = view.fields().unwrap();
            assert_eq!(fields.names, field_names::<MemoryView>());
            let doc = view.to_json().unwrap();
            assert!(doc.starts_with('['), "{doc}");
            assert_eq!(serde_json::from_str::<MemoryView>(&doc).unwrap(), view);
        }
    }

    #[test]
    fn documents_stored_as_objects_still_read() {
        for view in views() {
            let object = serde_json::to_string(&view).unwrap();
            assert!(object.starts_with('{'), "{object}");
            assert_eq!(serde_json::from_str::<MemoryView>(&object).unwrap(), view);
        }
    }
}
