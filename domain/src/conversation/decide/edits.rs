//! Decisions on a user's edits of a conversation (spec §6.1): title, overview, segment text, who spoke which
//! segments, visibility, star and folder. An edit that would leave its value as it is records nothing; a speaker
//! assignment is recorded as asked.

use super::{owned, Decision};
use crate::conversation::state::State;
use crate::conversation::{ConversationEvent as E, ConversationVisibility};
use crate::{DomainError, Timestamp};

/// Sets the title, trimmed; a blank title is refused.
pub(crate) fn edit_title(
    state: Option<&State>,
    uid: String,
    title: String,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    let title = title.trim().to_string();
    if title.is_empty() {
        return Err(DomainError::Invalid("Title cannot be empty".into()));
    }
    if title == current.structured.title {
        return Ok(vec![]);
    }
    Ok(vec![E::TitleEdited { title, at }])
}

pub(crate) fn edit_overview(
    state: Option<&State>,
    uid: String,
    overview: String,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    if overview == current.structured.overview {
        return Ok(vec![]);
    }
    Ok(vec![E::OverviewEdited { overview, at }])
}

/// Replaces the text of one transcript segment, found by id.
pub(crate) fn edit_segment_text(
    state: Option<&State>,
    uid: String,
    segment_id: String,
    text: String,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    let Some(segment) = current.segments.iter().find(|s| s.id == segment_id) else {
        return Err(DomainError::NotFound("Segment"));
    };
    if segment.text == text {
        return Ok(vec![]);
    }
    Ok(vec![E::SegmentTextEdited {
        segment_id,
        text,
        at,
    }])
}

/// Marks segments as spoken by the user or by a person; every named segment must exist, and at least one be named.
pub(crate) fn assign_segments(
    state: Option<&State>,
    uid: String,
    segment_ids: Vec<String>,
    is_user: bool,
    person_id: Option<String>,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    if segment_ids.is_empty()
        || !segment_ids
            .iter()
            .all(|id| current.segments.iter().any(|s| s.id == *id))
    {
        return Err(DomainError::NotFound("Segment"));
    }
    Ok(vec![E::SegmentsAssigned {
        segment_ids,
        is_user,
        person_id,
        at,
    }])
}

pub(crate) fn change_visibility(
    state: Option<&State>,
    uid: String,
    visibility: ConversationVisibility,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    if current.visibility == visibility {
        return Ok(vec![]);
    }
    Ok(vec![E::VisibilityChanged { visibility, at }])
}

pub(crate) fn star(state: Option<&State>, uid: String, starred: bool, at: Timestamp) -> Decision {
    let current = owned(state, &uid)?;
    if current.starred == starred {
        return Ok(vec![]);
    }
    Ok(vec![E::StarredChanged { starred, at }])
}

/// Moves the conversation into a folder, or out of any with `None`.
pub(crate) fn move_to_folder(
    state: Option<&State>,
    uid: String,
    folder_id: Option<String>,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    if current.folder_id == folder_id {
        return Ok(vec![]);
    }
    Ok(vec![E::MovedToFolder { folder_id, at }])
}

/// Moves the conversation from the deleted folder `from` to `to`, if it is still in `from`.
pub(crate) fn move_out_of_folder(
    state: Option<&State>,
    uid: String,
    from: String,
    to: String,
    at: Timestamp,
) -> Decision {
    let current = owned(state, &uid)?;
    if current.folder_id.as_deref() != Some(from.as_str()) {
        return Ok(vec![]);
    }
    Ok(vec![E::MovedToFolder {
        folder_id: Some(to),
        at,
    }])
}
