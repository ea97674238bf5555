//! Edits inside a conversation: segment text, speaker assignment, event and action-item toggles. Changes to
//! embedded action items are mirrored onto the user's standalone action items of the same conversation with
//! the same description (spec §2.3).

use axum::extract::State;
use axum::Json;
use omi_domain::action_item::ActionItemCommand;
use omi_domain::conversation::{Conversation, ConversationCommand, ConversationEvent};
use omi_projections::action_items::{self, ActionItemFilter, ActionItemView};
use omi_projections::conversations::ConversationView;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::answers::RequiredText;
use super::{ok, read, run};
use crate::app::action_items as items;
use crate::app::people;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, CurrentUser, Params, Path};
use crate::replies::Status;
use crate::state::AppState;
use crate::time_input::now;

/// A segment's new text.
#[derive(Deserialize, JsonSchema)]
pub(super) struct SegmentTextBody {
    #[serde(default)]
    #[schemars(required)]
    text: RequiredText,
}

pub(super) async fn segment_text(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, segment_id)): Path<(String, String)>,
    Body(body): Body<SegmentTextBody>,
) -> ApiResult<Json<Status>> {
    let text = body.text.or_missing("Missing text")?;
    let command = ConversationCommand::EditSegmentText {
        uid: user.uid.clone(),
        segment_id,
        text,
        at: now(),
    };
    run(&state, &user, &id, command).await?;
    Ok(ok())
}

/// Who a segment is assigned to: `(is_user, person_id)`.
fn assignment(assign_type: &str, value: Option<&str>) -> ApiResult<(bool, Option<String>)> {
    let value = value
        .map(str::trim)
        .filter(|v| !v.is_empty() && *v != "null");
    match assign_type {
        "is_user" => {
            let is_user = value
                .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"));
            Ok((is_user, None))
        }
        "person_id" => Ok((false, value.map(String::from))),
        _ => Err(ApiError::BadRequest("Invalid assign type".into())),
    }
}

/// Who to assign to: `assign_type` `is_user` (value `true`/`false`) or `person_id` (value an id or `null`).
#[derive(Deserialize, JsonSchema)]
pub(super) struct AssignQuery {
    assign_type: String,
    value: Option<String>,
    /// Accepted for compatibility; there are no speech samples yet.
    #[allow(dead_code)]
    use_for_speech_training: Option<bool>,
}

/// Assigns `segment_ids` and answers the conversation.
async fn assign(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    segment_ids: Vec<String>,
    (is_user, person_id): (bool, Option<String>),
) -> ApiResult<Json<ConversationView>> {
    if let Some(person_id) = &person_id {
        people::check_person(state, &user.uid, person_id).await?;
    }
    let command = ConversationCommand::AssignSegments {
        uid: user.uid.clone(),
        segment_ids,
        is_user,
        person_id,
        at: now(),
    };
    run(state, user, id, command).await?;
    Ok(Json(read(state, &user.uid, id).await?))
}

fn segment_not_found() -> ApiError {
    ApiError::NotFound("Segment not found".into())
}

/// The id of the `index`-th segment.
fn segment_at(view: &ConversationView, index: usize) -> ApiResult<String> {
    view.transcript_segments
        .iter()
        .flatten()
        .nth(index)
        .map(|s| s.id.clone())
        .ok_or_else(segment_not_found)
}

pub(super) async fn assign_segment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, segment)): Path<(String, String)>,
    Params(query): Params<AssignQuery>,
) -> ApiResult<Json<ConversationView>> {
    let index: usize = segment
        .parse()
        .map_err(|_| ApiError::invalid("path.segment_idx", "segment_idx must be an integer"))?;
    let who = assignment(&query.assign_type, query.value.as_deref())?;
    let view = read(&state, &user.uid, &id).await?;
    let segment_id = segment_at(&view, index)?;
    assign(&state, &user, &id, vec![segment_id], who).await
}

pub(super) async fn assign_speaker(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, speaker)): Path<(String, String)>,
    Params(query): Params<AssignQuery>,
) -> ApiResult<Json<ConversationView>> {
    let speaker_id: u32 = speaker
        .parse()
        .map_err(|_| ApiError::invalid("path.speaker_id", "speaker_id must be an integer"))?;
    let who = assignment(&query.assign_type, query.value.as_deref())?;
    let view = read(&state, &user.uid, &id).await?;
    let segment_ids: Vec<String> = view
        .transcript_segments
        .iter()
        .flatten()
        .filter(|s| s.speaker_id == speaker_id)
        .map(|s| s.id.clone())
        .collect();
    if segment_ids.is_empty() {
        return Err(ApiError::NotFound(format!(
            "No segment of speaker {speaker_id}"
        )));
    }
    assign(&state, &user, &id, segment_ids, who).await
}

#[derive(Deserialize, JsonSchema)]
pub(super) struct AssignBulkBody {
    segment_ids: Vec<String>,
    assign_type: String,
    #[serde(default)]
    value: Option<String>,
}

/// Bulk assignment; besides segment ids, `#index:<n>` names the n-th segment (the newer clients' positional
/// ids).
pub(super) async fn assign_bulk(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(body): Body<AssignBulkBody>,
) -> ApiResult<Json<ConversationView>> {
    if body.segment_ids.is_empty() {
        return Err(ApiError::invalid(
            "body.segment_ids",
            "segment_ids must not be empty",
        ));
    }
    let who = assignment(&body.assign_type, body.value.as_deref())?;
    let view = read(&state, &user.uid, &id).await?;
    let mut segment_ids = Vec::with_capacity(body.segment_ids.len());
    for segment_id in body.segment_ids {
        let resolved = match segment_id.strip_prefix("#index:") {
            Some(index) => segment_at(
                &view,
                index.trim().parse().map_err(|_| segment_not_found())?,
            )?,
            None => segment_id,
        };
        if !segment_ids.contains(&resolved) {
            segment_ids.push(resolved);
        }
    }
    assign(&state, &user, &id, segment_ids, who).await
}

#[derive(Deserialize, JsonSchema)]
pub(super) struct EventsBody {
    events_idx: Vec<usize>,
    values: Vec<bool>,
}

fn equal_lengths(indices: &[usize], values: &[bool], field: &str) -> ApiResult<()> {
    if indices.len() == values.len() {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "body",
            format!("{field} and values must have the same length"),
        ))
    }
}

pub(super) async fn events(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(body): Body<EventsBody>,
) -> ApiResult<Json<Status>> {
    equal_lengths(&body.events_idx, &body.values, "events_idx")?;
    let command = ConversationCommand::SetEventsCreated {
        uid: user.uid.clone(),
        indices: body.events_idx,
        values: body.values,
        at: now(),
    };
    run(&state, &user, &id, command).await?;
    Ok(ok())
}

/// The user's standalone action items lifted from conversation `id`.
async fn standalone_items(
    state: &AppState,
    uid: &str,
    conversation_id: &str,
) -> ApiResult<Vec<ActionItemView>> {
    const PAGE: i64 = 500;
    let filter = ActionItemFilter {
        conversation_id: Some(conversation_id.to_string()),
        ..ActionItemFilter::default()
    };
    let mut items = Vec::new();
    loop {
        let page =
            action_items::list(&state.database, uid, &filter, PAGE, items.len() as i64).await?;
        items.extend(page.items);
        if !page.has_more {
            return Ok(items);
        }
    }
}

/// The standalone action items of a conversation.
#[derive(Serialize, JsonSchema)]
pub(super) struct ConversationItems {
    action_items: Vec<ActionItemView>,
    conversation_id: String,
}

/// `GET /v1/conversations/{id}/action-items`: the standalone items of the conversation.
pub(super) async fn action_items(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ConversationItems>> {
    read(&state, &user.uid, &id).await?;
    let action_items = standalone_items(&state, &user.uid, &id).await?;
    Ok(Json(ConversationItems {
        action_items,
        conversation_id: id,
    }))
}

#[derive(Deserialize, JsonSchema)]
pub(super) struct CompleteBody {
    items_idx: Vec<usize>,
    values: Vec<bool>,
}

pub(super) async fn complete_action_items(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(body): Body<CompleteBody>,
) -> ApiResult<Json<Status>> {
    equal_lengths(&body.items_idx, &body.values, "items_idx")?;
    let command = ConversationCommand::SetActionItemsCompleted {
        uid: user.uid.clone(),
        indices: body.items_idx,
        values: body.values,
        at: now(),
    };
    let appended = state
        .execute::<Conversation>(&id, command, &user.metadata())
        .await?;
    let changes: Vec<(usize, bool)> = appended
        .events
        .into_iter()
        .flat_map(|event| match event {
            ConversationEvent::ActionItemsCompletedSet { changes, .. } => changes,
            _ => Vec::new(),
        })
        .collect();
    if changes.is_empty() {
        return Ok(ok());
    }
    let view = read(&state, &user.uid, &id).await?;
    let items = standalone_items(&state, &user.uid, &id).await?;
    let mut commands = Vec::new();
    for (index, completed) in changes {
        let Some(embedded) = view.structured.action_items.get(index) else {
            continue;
        };
        for item in &items {
            if item.description == embedded.description && item.completed != completed {
                commands.push((item.id.clone(), items::completion(&user.uid, completed)));
            }
        }
    }
    items::run_all(&state, &user.caller(), commands).await?;
    Ok(ok())
}

#[derive(Deserialize, JsonSchema)]
pub(super) struct RenameBody {
    old_description: String,
    description: String,
}

/// Renames the first embedded item whose description is `old_description` (the path index is ignored, as in
/// the reference) and the standalone items with that description.
pub(super) async fn rename_action_item(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, _index)): Path<(String, String)>,
    Body(body): Body<RenameBody>,
) -> ApiResult<Json<Status>> {
    let command = ConversationCommand::RenameActionItem {
        uid: user.uid.clone(),
        old_description: body.old_description.clone(),
        description: body.description,
        at: now(),
    };
    let appended = state
        .execute::<Conversation>(&id, command, &user.metadata())
        .await?;
    let Some(description) = appended.events.into_iter().find_map(|event| match event {
        ConversationEvent::ActionItemRenamed { description, .. } => Some(description),
        _ => None,
    }) else {
        return Ok(ok());
    };
    let commands = standalone_items(&state, &user.uid, &id)
        .await?
        .into_iter()
        .filter(|item| item.description == body.old_description)
        .map(|item| (item.id, items::rename(&user.uid, description.clone())))
        .collect();
    items::run_all(&state, &user.caller(), commands).await?;
    Ok(ok())
}

#[derive(Deserialize, JsonSchema)]
pub(super) struct RemoveBody {
    description: String,
    /// Sent by clients; the items are matched by description alone.
    #[allow(dead_code)]
    #[serde(default)]
    completed: Option<bool>,
}

pub(super) async fn remove_action_items(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(body): Body<RemoveBody>,
) -> ApiResult<Json<Status>> {
    let command = ConversationCommand::RemoveActionItems {
        uid: user.uid.clone(),
        description: body.description.clone(),
        at: now(),
    };
    run(&state, &user, &id, command).await?;
    let commands = standalone_items(&state, &user.uid, &id)
        .await?
        .into_iter()
        .filter(|item| item.description == body.description)
        .map(|item| {
            let command = ActionItemCommand::DeleteActionItem {
                uid: user.uid.clone(),
                at: now(),
            };
            (item.id, command)
        })
        .collect();
    items::run_all(&state, &user.caller(), commands).await?;
    Ok(ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_read_the_value_by_type() {
        assert_eq!(assignment("is_user", Some("true")).unwrap(), (true, None));
        assert_eq!(assignment("is_user", Some("false")).unwrap(), (false, None));
        assert_eq!(assignment("is_user", Some("null")).unwrap(), (false, None));
        assert_eq!(
            assignment("person_id", Some("p1")).unwrap(),
            (false, Some("p1".into()))
        );
        assert_eq!(
            assignment("person_id", Some("null")).unwrap(),
            (false, None)
        );
        assert!(matches!(
            assignment("speaker", Some("x")),
            Err(ApiError::BadRequest(message)) if message == "Invalid assign type"
        ));
    }
}
