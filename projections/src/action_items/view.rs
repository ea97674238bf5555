//! The action item as the API returns it (`ActionItemResponse` of spec §6.2).

use chrono::{DateTime, Utc};
use omi_domain::action_item::ActionItemEvent;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::time::{iso, iso_option};

/// An action item as stored in the read model and returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionItemView {
    pub id: String,
    pub description: String,
    pub completed: bool,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub updated_at: DateTime<Utc>,
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub completed_at: Option<DateTime<Utc>>,
    pub conversation_id: Option<String>,
    pub is_locked: bool,
    pub exported: bool,
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub export_date: Option<DateTime<Utc>>,
    pub export_platform: Option<String>,
}

impl ActionItemView {
    /// The instant the item counts as completed on in the statistics: when it was completed, or when it was
    /// created for an item created completed without a completion time; `None` while it is open.
    pub fn counted_completion(&self) -> Option<DateTime<Utc>> {
        self.completed
            .then(|| self.completed_at.unwrap_or(self.created_at))
    }

    /// The owner and view after `event`; `None` once the item is deleted. `current` is the view before it.
    pub(crate) fn evolve(
        id: &str,
        current: Option<(String, ActionItemView)>,
        event: &ActionItemEvent,
    ) -> Option<(String, ActionItemView)> {
        match event {
            ActionItemEvent::ActionItemCreated {
                uid,
                description,
                completed,
                completed_at,
                due_at,
                conversation_id,
                created_at,
            } => Some((
                uid.clone(),
                ActionItemView {
                    id: id.to_string(),
                    description: description.clone(),
                    completed: *completed,
                    created_at: *created_at,
                    updated_at: *created_at,
                    due_at: *due_at,
                    completed_at: *completed_at,
                    conversation_id: conversation_id.clone(),
                    is_locked: false,
                    exported: false,
                    export_date: None,
                    export_platform: None,
                },
            )),
            ActionItemEvent::ActionItemUpdated {
                description,
                due_at,
                exported,
                export_date,
                export_platform,
                updated_at,
            } => current.map(|(uid, mut view)| {
                if let Some(description) = description {
                    view.description = description.clone();
                }
                due_at.clone().apply_to(&mut view.due_at);
                if let Some(exported) = exported {
                    view.exported = *exported;
                }
                export_date.clone().apply_to(&mut view.export_date);
                export_platform.clone().apply_to(&mut view.export_platform);
                view.updated_at = *updated_at;
                (uid, view)
            }),
            ActionItemEvent::ActionItemCompleted { completed_at } => {
                current.map(|(uid, mut view)| {
                    view.completed = true;
                    view.completed_at = Some(*completed_at);
                    view.updated_at = *completed_at;
                    (uid, view)
                })
            }
            ActionItemEvent::ActionItemReopened { reopened_at } => {
                current.map(|(uid, mut view)| {
                    view.completed = false;
                    view.completed_at = None;
                    view.updated_at = *reopened_at;
                    (uid, view)
                })
            }
            ActionItemEvent::ActionItemDeleted { .. } => None,
        }
    }
}
