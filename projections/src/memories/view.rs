//! The memory as the API returns it (`MemoryDB` of spec §2.5).

use chrono::{DateTime, Utc};
use omi_domain::memory::{scoring, MemoryCategory, MemoryEvent, Visibility};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::time::iso;

/// A memory as stored in the read model and returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MemoryView {
    pub id: String,
    pub uid: String,
    pub content: String,
    pub category: MemoryCategory,
    pub visibility: Visibility,
    pub tags: Vec<String>,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub updated_at: DateTime<Utc>,
    pub conversation_id: Option<String>,
    pub reviewed: bool,
    pub user_review: Option<bool>,
    pub manually_added: bool,
    pub edited: bool,
    pub scoring: String,
    pub app_id: Option<String>,
    pub data_protection_level: Option<String>,
    pub is_locked: bool,
    pub kg_extracted: bool,
}

impl MemoryView {
    /// The view after `event`; `None` once the memory is deleted. `current` is the view before it.
    pub(crate) fn evolve(
        id: &str,
        current: Option<MemoryView>,
        event: &MemoryEvent,
    ) -> Option<MemoryView> {
        match event {
            MemoryEvent::MemoryCreated {
                uid,
                content,
                category,
                visibility,
                tags,
                manually_added,
                reviewed,
                user_review,
                conversation_id,
                app_id,
                created_at,
            } => Some(MemoryView {
                id: id.to_string(),
                uid: uid.clone(),
                content: content.clone(),
                category: *category,
                visibility: *visibility,
                tags: tags.clone(),
                created_at: *created_at,
                updated_at: *created_at,
                conversation_id: conversation_id.clone(),
                reviewed: *reviewed,
                user_review: *user_review,
                manually_added: *manually_added,
                edited: false,
                scoring: scoring(*manually_added, *category, *created_at),
                app_id: app_id.clone(),
                data_protection_level: None,
                is_locked: false,
                kg_extracted: false,
            }),
            MemoryEvent::MemoryEdited {
                content,
                category,
                tags,
                updated_at,
            } => current.map(|mut view| {
                if let Some(content) = content {
                    view.content = content.clone();
                    view.edited = true;
                }
                if let Some(category) = category {
                    view.category = *category;
                    view.scoring = scoring(view.manually_added, view.category, view.created_at);
                }
                if let Some(tags) = tags {
                    view.tags = tags.clone();
                }
                view.updated_at = *updated_at;
                view
            }),
            MemoryEvent::MemoryReviewed { value, reviewed_at } => current.map(|mut view| {
                view.reviewed = true;
                view.user_review = Some(*value);
                view.updated_at = *reviewed_at;
                view
            }),
            MemoryEvent::MemoryVisibilityChanged {
                visibility,
                updated_at,
            } => current.map(|mut view| {
                view.visibility = *visibility;
                view.updated_at = *updated_at;
                view
            }),
            MemoryEvent::MemoryDeleted { .. } => None,
            // Semantic search's vector (the `memory_vectors` read model); the memory reads the same.
            MemoryEvent::MemoryEmbedded { .. } => current,
        }
    }
}

/// The row the read model holds for memory `id` when its whole stream is `events`: what a request that just
/// started the stream may answer with once the read model has caught up, without reading the row back.
pub fn view_of_new_stream(id: &str, events: &[MemoryEvent]) -> Option<MemoryView> {
    events.iter().fold(None, |current, event| {
        MemoryView::evolve(id, current, event)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_are_returned_with_an_explicit_utc_offset() {
        let at = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let created = MemoryEvent::MemoryCreated {
            uid: "u".into(),
            content: "c".into(),
            category: MemoryCategory::System,
            visibility: Visibility::Private,
            tags: vec![],
            manually_added: false,
            reviewed: false,
            user_review: None,
            conversation_id: None,
            app_id: None,
            created_at: at,
        };
        let view = MemoryView::evolve("m", None, &created).unwrap();
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["created_at"], "2023-11-14T22:13:20+00:00");
        assert_eq!(json["scoring"], "00_999_1700000000");
    }
}
