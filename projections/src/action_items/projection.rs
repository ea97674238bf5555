//! Keeps the `action_items` table in step with the log.

use omi_domain::action_item::ActionItemEvent;

use super::ActionItemView;
use crate::documents::{document_projection, Document, Owned};
use crate::json::JsonFields;
use crate::runtime::{CopyRows, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;
use crate::time::micros;

document_projection! {
    /// The projection behind [`super::list`] and [`super::get`].
    ActionItemsProjection {
        name: "action_items",
        reads: ["ActionItem"],
        table: "action_items",
        select: select,
        evolve: evolve,
    }
}

impl Document for ActionItemView {
    const TABLE: &'static str = "action_items";
    const COLUMNS: &'static [&'static str] = &[
        "completed",
        "conversation_id",
        "created_at",
        "due_at",
        "completed_at",
    ];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.completed)
            .bind(self.conversation_id.clone())
            .bind(micros(&self.created_at))
            .bind(self.due_at.as_ref().map(micros))
            .bind(self.counted_completion().as_ref().map(micros))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.boolean(self.completed)
            .text_or_null(self.conversation_id.as_deref())
            .bigint(micros(&self.created_at))
            .bigint_or_null(self.due_at.as_ref().map(micros))
            .bigint_or_null(self.counted_completion().as_ref().map(micros));
    }

    fn to_json(&self) -> Result<String, serde_json::Error> {
        Ok(self.fields().finish())
    }
}

impl ActionItemView {
    /// The stored document: every field, in declaration order (see [`JsonFields`]).
    fn fields(&self) -> JsonFields {
        let mut doc = JsonFields::with_capacity(200 + self.description.len());
        doc.str("id", &self.id)
            .str("description", &self.description)
            .bool("completed", self.completed)
            .time("created_at", &self.created_at)
            .time("updated_at", &self.updated_at)
            .opt_time("due_at", self.due_at.as_ref())
            .opt_time("completed_at", self.completed_at.as_ref())
            .opt_str("conversation_id", self.conversation_id.as_deref())
            .bool("is_locked", self.is_locked)
            .bool("exported", self.exported)
            .opt_time("export_date", self.export_date.as_ref())
            .opt_str("export_platform", self.export_platform.as_deref());
        doc
    }
}

fn select(recorded: &RecordedEvent) -> Option<&ActionItemEvent> {
    match &recorded.event {
        StoredEvent::ActionItem(event) => Some(event),
        _ => None,
    }
}

fn evolve(
    id: &str,
    current: Option<Owned<ActionItemView>>,
    event: &ActionItemEvent,
) -> Option<Owned<ActionItemView>> {
    ActionItemView::evolve(id, current.map(|row| (row.uid, row.doc)), event)
        .map(|(uid, doc)| Owned { uid, doc })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::field_names;
    use chrono::{TimeZone, Utc};

    /// Views in which every field differs from its neighbours of the same type, then each flag set alone: a
    /// document that swapped two fields would not read back as the view it came from.
    fn views() -> Vec<ActionItemView> {
        let full = ActionItemView {
            id: "a1".into(),
            description: "call \"Bob\" \\ about the 日本 trip\n".into(),
            completed: true,
            created_at: Utc.timestamp_opt(1_747_630_818, 661_561_000).unwrap(),
            updated_at: Utc.timestamp_opt(1_747_630_900, 5_000_000).unwrap(),
            due_at: Some(Utc.timestamp_opt(1_750_000_000, 0).unwrap()),
            completed_at: Some(Utc.timestamp_opt(1_747_630_950, 0).unwrap()),
            conversation_id: Some("c1".into()),
            is_locked: true,
            exported: true,
            export_date: Some(Utc.timestamp_opt(1_747_631_000, 1_000).unwrap()),
            export_platform: Some("apple_reminders".into()),
        };
        let bare = ActionItemView {
            description: String::new(),
            completed: false,
            due_at: None,
            completed_at: None,
            conversation_id: None,
            is_locked: false,
            exported: false,
            export_date: None,
            export_platform: None,
            ..full.clone()
        };
        let mut views = vec![full.clone(), bare.clone()];
        for flag in 0..3 {
            let mut view = bare.clone();
            match flag {
                0 => view.completed = true,
                1 => view.is_locked = true,
                _ => view.exported = true,
            }
            views.push(view);
        }
        for time in 0..3 {
            let mut view = bare.clone();
            match time {
                0 => view.due_at = full.due_at,
                1 => view.completed_at = full.due_at,
                _ => view.export_date = full.due_at,
            }
            views.push(view);
        }
        views
    }

    #[test]
    fn documents_hold_every_field_in_declaration_order() {
        for view in views() {
            assert_eq!(view.fields().names, field_names::<ActionItemView>());
            let doc = view.to_json().unwrap();
            assert!(doc.starts_with('['), "{doc}");
            assert_eq!(serde_json::from_str::<ActionItemView>(&doc).unwrap(), view);
        }
    }

    #[test]
    fn documents_stored_as_objects_still_read() {
        for view in views() {
            let object = serde_json::to_string(&view).unwrap();
            assert!(object.starts_with('{'), "{object}");
            assert_eq!(
                serde_json::from_str::<ActionItemView>(&object).unwrap(),
                view
            );
        }
    }
}
