//! The history of an action item and its state at an instant.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use omi_domain::action_item::{ActionItem, ActionItemEvent};
use omi_store::{Database, StoredEvent};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::stream::{state_at, steps, Entity};
use crate::action_items::ActionItemView;
use crate::runtime::ProjectionError;

/// One version of an action item: the event that made it, when and by whom, what it changed, and the item as
/// `GET /v1/action-items/{id}` showed it afterwards (`null` after a deletion).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionItemVersion {
    pub version: i64,
    pub event: String,
    pub at: String,
    pub actor: String,
    pub changes: Value,
    pub action_item: Option<ActionItemView>,
}

/// The whole history of one action item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionItemHistory {
    pub action_item_id: String,
    pub deleted: bool,
    pub versions: Vec<ActionItemVersion>,
}

struct Kind;

impl Entity for Kind {
    const TYPE: &'static str = ActionItem::TYPE;
    type Event = ActionItemEvent;
    /// The owner and the item.
    type State = (String, ActionItemView);

    fn event(stored: &StoredEvent) -> Option<&ActionItemEvent> {
        match stored {
            StoredEvent::ActionItem(event) => Some(event),
            _ => None,
        }
    }

    fn evolve(
        id: &str,
        current: Option<Self::State>,
        event: &ActionItemEvent,
        _recorded_at: DateTime<Utc>,
    ) -> Option<Self::State> {
        ActionItemView::evolve(id, current, event)
    }
}

/// Every version of the action item `id` of user `uid`, oldest first; `None` when the user never had it.
pub async fn action_item_history(
    database: &Database,
    uid: &str,
    id: &str,
) -> Result<Option<ActionItemHistory>, ProjectionError> {
    let Some(steps) = steps::<Kind, _>(database, uid, id, |(_, view)| Ok(view.clone())).await?
    else {
        return Ok(None);
    };
    let deleted = steps.last().is_some_and(|step| step.after.is_none());
    let versions = steps
        .into_iter()
        .map(|step| ActionItemVersion {
            version: step.version,
            event: step.event,
            at: step.at,
            actor: step.actor,
            changes: step.changes,
            action_item: step.after,
        })
        .collect();
    Ok(Some(ActionItemHistory {
        action_item_id: id.to_string(),
        deleted,
        versions,
    }))
}

/// The action item `id` of user `uid` as `GET /v1/action-items/{id}` would have answered at `at`.
pub async fn action_item_as_of(
    database: &Database,
    uid: &str,
    id: &str,
    at: DateTime<Utc>,
) -> Result<Option<ActionItemView>, ProjectionError> {
    Ok(state_at::<Kind>(database, uid, id, at)
        .await?
        .map(|(_, view)| view))
}
