//! Decisions on the action items and calendar events embedded in a processed conversation's structured result.
//! They are addressed by index (toggles) or by description (rename, remove), as the spec's routes address them.

use super::{owned, Decision};
use crate::conversation::state::State;
use crate::conversation::ConversationEvent as E;
use crate::{DomainError, Timestamp};

/// Sets `created` of calendar events by index.
pub(crate) fn set_events_created(
    state: Option<&State>,
    uid: String,
    indices: Vec<usize>,
    values: Vec<bool>,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    let changes = changes(current.structured.events.len(), &indices, &values)?;
    if changes.is_empty() {
        return Ok(vec![]);
    }
    Ok(vec![E::EventsCreatedSet { changes, at }])
}

/// Sets `completed` of embedded action items by index.
pub(crate) fn set_action_items_completed(
    state: Option<&State>,
    uid: String,
    indices: Vec<usize>,
    values: Vec<bool>,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    let changes = changes(current.structured.action_items.len(), &indices, &values)?;
    if changes.is_empty() {
        return Ok(vec![]);
    }
    Ok(vec![E::ActionItemsCompletedSet { changes, at }])
}

/// Renames the first action item described `old_description`, to a description trimmed and not blank.
pub(crate) fn rename_action_item(
    state: Option<&State>,
    uid: String,
    old_description: String,
    description: String,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    let Some(index) = current
        .structured
        .action_items
        .iter()
        .position(|i| i.description == old_description)
    else {
        return Err(DomainError::NotFound("Action item"));
    };
    let description = description.trim().to_string();
    if description.is_empty() {
        return Err(DomainError::Invalid(
            "Action item description cannot be empty".into(),
        ));
    }
    Ok(vec![E::ActionItemRenamed {
        index,
        description,
        at,
    }])
}

/// Removes every action item with this description; none such records nothing.
pub(crate) fn remove_action_items(
    state: Option<&State>,
    uid: String,
    description: String,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    if !current
        .structured
        .action_items
        .iter()
        .any(|i| i.description == description)
    {
        return Ok(vec![]);
    }
    Ok(vec![E::ActionItemsRemoved { description, at }])
}

/// Pairs each index with its value, leaving out indices past the `len` items there are; the two lists must be
/// of the same length.
fn changes(
    len: usize,
    indices: &[usize],
    values: &[bool],
) -> Result<Vec<(usize, bool)>, DomainError> {
    if indices.len() != values.len() {
        return Err(DomainError::Invalid(
            "indices and values must have the same length".into(),
        ));
    }
    Ok(indices
        .iter()
        .zip(values)
        .filter(|(index, _)| **index < len)
        .map(|(index, value)| (*index, *value))
        .collect())
}
