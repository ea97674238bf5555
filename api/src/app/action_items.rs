//! Action items, the standalone task list (spec §2.3): what every door may ask of an item, with the limits each
//! door has in the spec.

use chrono::{DateTime, Utc};
use omi_domain::action_item::{ActionItem, ActionItemCommand};
use omi_domain::conversation::EmbeddedActionItem;
use omi_domain::Patch;
use omi_projections::action_items::{self, ActionItemFilter, ActionItemPage, ActionItemView};
use omi_projections::conversations;
use omi_projections::history::{self, ActionItemHistory};
use omi_store::LogPosition;
use schemars::JsonSchema;
use serde::Deserialize;
use uuid::Uuid;

use super::validation::{check_length, Problems};
use super::{Caller, Page, PageRule};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time_input::{now, InputTime};

/// A door's rules for new and edited items, from the spec.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// The longest description, in characters; `None`: no limit of its own (the body limit holds).
    pub max_description: Option<usize>,
    /// The most items one batch creates.
    pub max_batch: usize,
    /// Whether an update must change at least one field (else 422).
    pub update_needs_a_field: bool,
}

/// The app's routes (`/v1/action-items`, spec §6.2).
pub const APP: Rules = Rules {
    max_description: None,
    max_batch: 100,
    update_needs_a_field: false,
};
/// `/v1/dev/user/action-items` (spec §7.4): descriptions of at most 500 characters, batches of at most 50.
pub const DEVELOPER: Rules = Rules {
    max_description: Some(500),
    max_batch: 50,
    update_needs_a_field: true,
};
/// MCP's tools (spec §7.5).
pub const MCP: Rules = Rules {
    max_description: None,
    max_batch: 50,
    update_needs_a_field: true,
};

/// The app's list.
pub const APP_PAGE: PageRule = PageRule::new(50, 500);
/// The developer API's list.
pub const DEVELOPER_PAGE: PageRule = PageRule::new(100, 1_000);
/// MCP's `get_action_items` tool.
pub const MCP_TOOL_PAGE: PageRule = PageRule::new(50, 500);

/// An action item as clients send it.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ActionItemInput {
    pub description: String,
    #[serde(default)]
    pub completed: bool,
    #[serde(default)]
    pub due_at: Option<InputTime>,
    /// The conversation it came from: one of the caller's conversations.
    #[serde(default)]
    pub conversation_id: Option<String>,
}

/// A partial update: absent fields are left alone, an explicit `null` clears an optional one.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ActionItemUpdate {
    pub description: Option<String>,
    pub completed: Option<bool>,
    #[serde(default)]
    pub due_at: Patch<InputTime>,
    pub exported: Option<bool>,
    #[serde(default)]
    pub export_date: Patch<InputTime>,
    #[serde(default)]
    pub export_platform: Patch<String>,
}

/// Which items a list shows.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub completed: Option<bool>,
    /// `pending` or `completed`, the app's other spelling of `completed`.
    pub status: Option<String>,
    pub conversation_id: Option<String>,
    pub start_date: Option<InputTime>,
    pub end_date: Option<InputTime>,
    pub due_start_date: Option<InputTime>,
    pub due_end_date: Option<InputTime>,
}

/// Checks one item of a create request (problems at `loc`) and makes its command, with a fresh id.
fn validate(
    input: ActionItemInput,
    uid: &str,
    rules: &Rules,
    loc: &str,
    problems: &mut Problems,
) -> Option<(String, ActionItemCommand)> {
    let mut valid = true;
    if input.description.trim().is_empty() {
        problems.add(
            &format!("{loc}.description"),
            "Action item description cannot be empty",
        );
        valid = false;
    }
    if let Some(max) = rules.max_description {
        valid &= check_length(
            problems,
            &format!("{loc}.description"),
            "description",
            &input.description,
            max,
        );
    }
    let command = ActionItemCommand::CreateActionItem {
        uid: uid.to_string(),
        description: input.description,
        completed: input.completed,
        due_at: input.due_at.map(|t| t.0),
        conversation_id: input.conversation_id.filter(|id| !id.is_empty()),
        at: now(),
    };
    valid.then(|| (Uuid::new_v4().to_string(), command))
}

/// Records a problem at `{loc}.conversation_id` for every input that points at a conversation the user does
/// not have (another user's, a deleted or merged one, or an id that names none): an action item may only be
/// linked to a conversation of its own user.
async fn check_conversations(
    state: &AppState,
    uid: &str,
    inputs: &[(String, &ActionItemInput)],
    problems: &mut Problems,
) -> ApiResult<()> {
    let mut known: Vec<(&str, bool)> = Vec::new();
    for (loc, input) in inputs {
        let Some(id) = input.conversation_id.as_deref().filter(|id| !id.is_empty()) else {
            continue;
        };
        let exists = match known.iter().find(|(seen, _)| *seen == id) {
            Some(&(_, exists)) => exists,
            None => {
                let exists = conversations::processing_state(&state.database, uid, id)
                    .await?
                    .is_some();
                known.push((id, exists));
                exists
            }
        };
        if !exists {
            problems.add(&format!("{loc}.conversation_id"), "Conversation not found");
        }
    }
    Ok(())
}

/// Creates one item and answers it as stored.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    input: ActionItemInput,
    rules: &Rules,
) -> ApiResult<ActionItemView> {
    let mut created = create_all(state, caller, vec![input], rules, None).await?;
    created
        .pop()
        .ok_or_else(|| ApiError::Internal("the created action item was not read back".into()))
}

/// Creates every item of a batch (problems at `{loc}.{i}`), or none when any is invalid; waits once for the
/// read model and answers them in order.
pub async fn create_batch(
    state: &AppState,
    caller: &Caller,
    inputs: Vec<ActionItemInput>,
    rules: &Rules,
    loc: &str,
) -> ApiResult<Vec<ActionItemView>> {
    if inputs.len() > rules.max_batch {
        return Err(ApiError::invalid(
            loc,
            format!("at most {} action items per batch", rules.max_batch),
        ));
    }
    create_all(state, caller, inputs, rules, Some(loc)).await
}

/// Validates everything first (problems at `body` for one item, `{loc}.{i}` for a batch), then creates.
async fn create_all(
    state: &AppState,
    caller: &Caller,
    inputs: Vec<ActionItemInput>,
    rules: &Rules,
    batch: Option<&str>,
) -> ApiResult<Vec<ActionItemView>> {
    let place = |i: usize| match batch {
        Some(loc) => format!("{loc}.{i}"),
        None => "body".to_string(),
    };
    let mut problems = Problems::new();
    let located: Vec<(String, &ActionItemInput)> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| (place(i), input))
        .collect();
    check_conversations(state, &caller.uid, &located, &mut problems).await?;
    let commands: Vec<_> = inputs
        .into_iter()
        .enumerate()
        .filter_map(|(i, input)| validate(input, &caller.uid, rules, &place(i), &mut problems))
        .collect();
    problems.finish()?;
    let ids = state
        .create_all::<ActionItem>(commands, &caller.metadata)
        .await?;
    let mut created = Vec::with_capacity(ids.len());
    for id in &ids {
        created.push(read(state, &caller.uid, id).await?);
    }
    Ok(created)
}

/// The user's action item, or 404.
pub async fn read(state: &AppState, uid: &str, id: &str) -> ApiResult<ActionItemView> {
    action_items::get(&state.database, uid, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Action item not found".into()))
}

/// The user's item as it stands now, or as it stood at `at` (folded from its stream); 404 when it did not
/// exist then.
pub async fn read_at(
    state: &AppState,
    uid: &str,
    id: &str,
    at: Option<DateTime<Utc>>,
) -> ApiResult<ActionItemView> {
    let Some(at) = at else {
        return read(state, uid, id).await;
    };
    history::action_item_as_of(&state.database, uid, id, at)
        .await?
        .ok_or_else(|| ApiError::NotFound("Action item not found".into()))
}

/// Every version of the user's item, kept after deletion too.
pub async fn item_history(state: &AppState, uid: &str, id: &str) -> ApiResult<ActionItemHistory> {
    history::action_item_history(&state.database, uid, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Action item not found".into()))
}

/// A page of the user's items, newest first, with whether more follow; 422 for an unknown `status` or one
/// that contradicts `completed`.
pub async fn list(
    state: &AppState,
    uid: &str,
    query: ListQuery,
    page: Page,
) -> ApiResult<ActionItemPage> {
    let mut problems = Problems::new();
    let status = match query.status.as_deref() {
        None => None,
        Some("pending") => Some(false),
        Some("completed") => Some(true),
        Some(_) => {
            problems.add("query.status", "status must be 'pending' or 'completed'");
            None
        }
    };
    if let (Some(completed), Some(status)) = (query.completed, status) {
        if completed != status {
            problems.add("query.status", "status contradicts completed");
        }
    }
    problems.finish()?;
    let filter = ActionItemFilter {
        completed: query.completed.or(status),
        conversation_id: query.conversation_id.filter(|id| !id.trim().is_empty()),
        created_from: query.start_date.map(|t| t.0),
        created_to: query.end_date.map(|t| t.0),
        due_from: query.due_start_date.map(|t| t.0),
        due_to: query.due_end_date.map(|t| t.0),
    };
    Ok(action_items::list(&state.database, uid, &filter, page.limit, page.offset).await?)
}

/// A patch of a client timestamp as a patch of the time.
fn times(patch: Patch<InputTime>) -> Patch<DateTime<Utc>> {
    match patch {
        Patch::Keep => Patch::Keep,
        Patch::Clear => Patch::Clear,
        Patch::Set(at) => Patch::Set(at.0),
    }
}

/// The command that marks the item done or not done.
pub fn completion(uid: &str, completed: bool) -> ActionItemCommand {
    let (uid, at) = (uid.to_string(), now());
    if completed {
        ActionItemCommand::CompleteActionItem { uid, at }
    } else {
        ActionItemCommand::ReopenActionItem { uid, at }
    }
}

/// The command that gives the item a new description.
pub fn rename(uid: &str, description: String) -> ActionItemCommand {
    ActionItemCommand::EditActionItem {
        uid: uid.to_string(),
        description: Some(description),
        due_at: Patch::Keep,
        exported: None,
        export_date: Patch::Keep,
        export_platform: Patch::Keep,
        at: now(),
    }
}

/// The command that lifts an action item of a processed conversation into the standalone list (processing
/// publishes them; the caller picks the deterministic id).
pub fn lifted(
    uid: &str,
    conversation_id: &str,
    item: &EmbeddedActionItem,
    at: DateTime<Utc>,
) -> ActionItemCommand {
    ActionItemCommand::CreateActionItem {
        uid: uid.to_string(),
        description: item.description.clone(),
        completed: item.completed,
        due_at: item.due_at,
        conversation_id: Some(conversation_id.to_string()),
        at,
    }
}

/// The command that deletes an item (processing replaces the items of an earlier result).
pub fn deletion(uid: &str, at: DateTime<Utc>) -> ActionItemCommand {
    ActionItemCommand::DeleteActionItem {
        uid: uid.to_string(),
        at,
    }
}

/// Applies a partial update to the user's item — its edit, then its completion or reopening, each a command of
/// its own (repeating the request records nothing more) — and answers the item as stored.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    update: ActionItemUpdate,
    rules: &Rules,
) -> ApiResult<ActionItemView> {
    let mut problems = Problems::new();
    let edits = update.description.is_some()
        || !update.due_at.is_keep()
        || update.exported.is_some()
        || !update.export_date.is_keep()
        || !update.export_platform.is_keep();
    if rules.update_needs_a_field && !edits && update.completed.is_none() {
        problems.add(
            "body",
            "at least one of description, completed, due_at is required",
        );
    }
    if let (Some(description), Some(max)) = (&update.description, rules.max_description) {
        check_length(
            &mut problems,
            "body.description",
            "description",
            description,
            max,
        );
    }
    problems.finish()?;
    let mut commands = Vec::new();
    if edits {
        commands.push(ActionItemCommand::EditActionItem {
            uid: caller.uid.clone(),
            description: update.description,
            due_at: times(update.due_at),
            exported: update.exported,
            export_date: times(update.export_date),
            export_platform: update.export_platform,
            at: now(),
        });
    }
    if let Some(completed) = update.completed {
        commands.push(completion(&caller.uid, completed));
    }
    if commands.is_empty() {
        return read(state, &caller.uid, id).await;
    }
    let mut last = None;
    for command in commands {
        let appended = state
            .commands
            .execute::<ActionItem>(id, command, &caller.metadata)
            .await?;
        last = last.max(appended.position);
    }
    state.caught_up(last).await?;
    read(state, &caller.uid, id).await
}

/// Marks the user's item done or not done and answers it as stored.
pub async fn set_completed(
    state: &AppState,
    caller: &Caller,
    id: &str,
    completed: bool,
) -> ApiResult<ActionItemView> {
    state
        .execute::<ActionItem>(id, completion(&caller.uid, completed), &caller.metadata)
        .await?;
    read(state, &caller.uid, id).await
}

/// Deletes the user's item (its history stays).
pub async fn delete(state: &AppState, caller: &Caller, id: &str) -> ApiResult<()> {
    let command = deletion(&caller.uid, now());
    state
        .execute::<ActionItem>(id, command, &caller.metadata)
        .await?;
    Ok(())
}

/// Runs `(id, command)` pairs on the user's items, passing over items deleted meanwhile, and waits for the read
/// models to show them all.
pub async fn run_all(
    state: &AppState,
    caller: &Caller,
    commands: Vec<(String, ActionItemCommand)>,
) -> ApiResult<()> {
    let mut last: Option<LogPosition> = None;
    for (id, command) in commands {
        match state
            .commands
            .execute::<ActionItem>(&id, command, &caller.metadata)
            .await
        {
            Ok(appended) => last = last.max(appended.position),
            Err(omi_commands::CommandError::Domain(omi_domain::DomainError::NotFound(_))) => {}
            Err(error) => return Err(error.into()),
        }
    }
    state.caught_up(last).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(description: &str) -> ActionItemInput {
        ActionItemInput {
            description: description.into(),
            completed: false,
            due_at: None,
            conversation_id: Some(String::new()),
        }
    }

    #[test]
    fn a_valid_item_gets_a_fresh_id_and_no_empty_conversation() {
        let mut problems = Problems::new();
        let (id, command) = validate(input("Call Ann"), "u1", &APP, "body", &mut problems).unwrap();
        assert!(Uuid::parse_str(&id).is_ok());
        let ActionItemCommand::CreateActionItem {
            conversation_id, ..
        } = command
        else {
            panic!("expected a create command");
        };
        assert_eq!(conversation_id, None);
        assert!(problems.is_empty());
    }

    #[test]
    fn the_developer_limit_on_descriptions_is_reported_at_its_place() {
        let long = "x".repeat(501);
        let mut problems = Problems::new();
        assert!(validate(
            input(&long),
            "u1",
            &DEVELOPER,
            "body.action_items.1",
            &mut problems
        )
        .is_none());
        let Err(ApiError::Validation(found)) = problems.finish() else {
            panic!("expected a validation error");
        };
        assert_eq!(found[0].loc, ["body", "action_items", "1", "description"]);
        let mut problems = Problems::new();
        assert!(validate(input(&long), "u1", &APP, "body", &mut problems).is_some());
    }

    #[test]
    fn completing_and_reopening_are_commands_of_their_own() {
        assert!(matches!(
            completion("u1", true),
            ActionItemCommand::CompleteActionItem { .. }
        ));
        assert!(matches!(
            completion("u1", false),
            ActionItemCommand::ReopenActionItem { .. }
        ));
    }
}
