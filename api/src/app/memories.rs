//! Memories (spec §2.5): what every door may ask of a memory, with the limits each door has in the spec.

use chrono::{DateTime, Utc};
use omi_commands::Actor;
use omi_domain::conversation::ExtractedMemory;
use omi_domain::memory::{Memory, MemoryCategory, MemoryCommand, Visibility};
use omi_projections::history::{self, MemoryHistory};
use omi_projections::memories::{self, MemoryView};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::validation::{check_length, Problems};
use super::{Caller, Page, PageRule};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time_input::now;

/// How a door fills in a memory's category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoryRule {
    /// The category sent (leniently read), `interesting` when none is sent: the app's routes.
    GivenOrInteresting,
    /// The category sent, detected from the content when none is sent: the developer API.
    GivenOrDetected,
    /// Always detected from the content, whatever is sent: MCP (spec §7.5).
    Detected,
}

/// When a door counts a new memory as manually added (and so reviewed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManuallyAdded {
    Always,
    /// Only in the `manual` category, as the reference's `/v3/memories` does.
    WhenManualCategory,
}

/// A door's rules for new and edited memories, from the spec.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// The longest content, in characters; `None`: no limit of its own (the body limit holds).
    pub max_content: Option<usize>,
    /// The most memories one batch creates.
    pub max_batch: usize,
    pub category: CategoryRule,
    pub manually_added: ManuallyAdded,
}

/// `POST /v1/memories`, `PUT /v1/memories/{id}`: written by the user, so manually added.
pub const APP_V1: Rules = Rules {
    max_content: None,
    max_batch: 100,
    category: CategoryRule::GivenOrInteresting,
    manually_added: ManuallyAdded::Always,
};
/// `/v3/memories`: manually added only in the `manual` category; batches of at most 100 (spec §6.3).
pub const APP_V3: Rules = Rules {
    manually_added: ManuallyAdded::WhenManualCategory,
    ..APP_V1
};
/// `/v1/dev/user/memories` (spec §7.4): content of at most 500 characters, batches of at most 25.
pub const DEVELOPER: Rules = Rules {
    max_content: Some(500),
    max_batch: 25,
    category: CategoryRule::GivenOrDetected,
    manually_added: ManuallyAdded::Always,
};
/// MCP's tools and REST API (spec §7.5).
pub const MCP: Rules = Rules {
    max_content: None,
    max_batch: 25,
    category: CategoryRule::Detected,
    manually_added: ManuallyAdded::Always,
};

/// The app's lists (`/v1/memories`, `/v3/memories`).
pub const APP_PAGE: PageRule = PageRule::new(100, 5_000);
/// The developer API's list.
pub const DEVELOPER_PAGE: PageRule = PageRule::new(25, 1_000);
/// MCP's REST list.
pub const MCP_REST_PAGE: PageRule = PageRule::new(25, 5_000);
/// MCP's `get_memories` tool.
pub const MCP_TOOL_PAGE: PageRule = PageRule::new(100, 5_000);

/// How many characters of a locked memory lists show (spec §1.2).
const LOCKED_PREVIEW: usize = 70;

/// What every door shows of a memory first: its id, content, category, visibility and tags (MCP's REST API
/// answers a created memory with exactly these; the developer API adds its own fields after them).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MemorySummary {
    pub id: String,
    pub content: String,
    pub category: MemoryCategory,
    pub visibility: Visibility,
    pub tags: Vec<String>,
}

impl From<&MemoryView> for MemorySummary {
    fn from(memory: &MemoryView) -> Self {
        Self {
            id: memory.id.clone(),
            content: memory.content.clone(),
            category: memory.category,
            visibility: memory.visibility,
            tags: memory.tags.clone(),
        }
    }
}

/// A memory as clients send it.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct MemoryInput {
    pub content: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl MemoryInput {
    /// A memory with only content.
    pub fn content_only(content: String) -> Self {
        Self {
            content,
            category: None,
            visibility: None,
            tags: Vec::new(),
        }
    }
}

/// A validated memory to create.
#[derive(Debug)]
struct NewMemory {
    content: String,
    category: MemoryCategory,
    visibility: Visibility,
    tags: Vec<String>,
}

/// A partial update of a memory (`PUT /v1/memories/{id}`, the developer API's `PATCH`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct MemoryUpdate {
    pub content: Option<String>,
    pub category: Option<String>,
    pub visibility: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// Checks one memory of a create request (problems at `loc`: `body` or `body.memories.3`).
fn validate(
    input: MemoryInput,
    rules: &Rules,
    loc: &str,
    problems: &mut Problems,
) -> Option<NewMemory> {
    let content = input.content.trim().to_string();
    let mut valid = true;
    if content.is_empty() {
        problems.add(&format!("{loc}.content"), "Memory content cannot be empty");
        valid = false;
    }
    if let Some(max) = rules.max_content {
        valid &= check_length(
            problems,
            &format!("{loc}.content"),
            "content",
            &content,
            max,
        );
    }
    let visibility = visibility(
        input.visibility.as_deref(),
        &format!("{loc}.visibility"),
        problems,
    );
    let given = input
        .category
        .as_deref()
        .filter(|name| !name.trim().is_empty())
        .map(MemoryCategory::from_input);
    let category = match (rules.category, given) {
        (CategoryRule::GivenOrInteresting, given) => given.unwrap_or(MemoryCategory::Interesting),
        (CategoryRule::GivenOrDetected, Some(given)) => given,
        (CategoryRule::GivenOrDetected | CategoryRule::Detected, _) => {
            MemoryCategory::detected_from(&content)
        }
    };
    Some(NewMemory {
        content,
        category,
        visibility: visibility?,
        tags: clean_tags(input.tags),
    })
    .filter(|_| valid)
}

/// The visibility named (`private` when none), or a problem at `loc`.
fn visibility(name: Option<&str>, loc: &str, problems: &mut Problems) -> Option<Visibility> {
    let visibility = match name {
        None => Some(Visibility::Private),
        Some(name) => Visibility::parse(name),
    };
    if visibility.is_none() {
        problems.add(loc, "visibility must be 'private' or 'public'");
    }
    visibility
}

fn clean_tags(tags: Vec<String>) -> Vec<String> {
    tags.into_iter()
        .map(|tag| tag.trim().to_string())
        .filter(|tag| !tag.is_empty())
        .collect()
}

/// The command that creates `memory` for the caller, and the memory's id: a new one every time, so that a
/// memory written with the content of another (even one since edited) is a memory of its own. A memory an app
/// writes (through the import API) is linked to the app.
fn create_command(caller: &Caller, memory: NewMemory, rules: &Rules) -> (String, MemoryCommand) {
    let manually_added = match rules.manually_added {
        ManuallyAdded::Always => true,
        ManuallyAdded::WhenManualCategory => memory.category == MemoryCategory::Manual,
    };
    let app_id = match &caller.metadata.actor {
        Actor::App(app_id) => Some(app_id.clone()),
        _ => None,
    };
    let command = MemoryCommand::CreateMemory {
        uid: caller.uid.clone(),
        content: memory.content,
        category: memory.category,
        visibility: memory.visibility,
        tags: memory.tags,
        manually_added,
        conversation_id: None,
        app_id,
        at: now(),
    };
    (Uuid::new_v4().to_string(), command)
}

/// The command that records a memory extracted from a processed conversation: private, not manually added
/// (processing publishes them; the caller picks the deterministic id).
pub fn extracted(
    uid: &str,
    conversation_id: &str,
    memory: &ExtractedMemory,
    at: DateTime<Utc>,
) -> MemoryCommand {
    MemoryCommand::CreateMemory {
        uid: uid.to_string(),
        content: memory.content.clone(),
        category: memory.category,
        visibility: Visibility::Private,
        tags: Vec::new(),
        manually_added: false,
        conversation_id: Some(conversation_id.to_string()),
        app_id: None,
        at,
    }
}

/// The command that deletes a memory (processing replaces the memories of an earlier result).
pub fn deletion(uid: &str, at: DateTime<Utc>) -> MemoryCommand {
    MemoryCommand::DeleteMemory {
        uid: uid.to_string(),
        at,
    }
}

/// Creates one memory and answers it as stored.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    input: MemoryInput,
    rules: &Rules,
) -> ApiResult<MemoryView> {
    let mut problems = Problems::new();
    let memory = validate(input, rules, "body", &mut problems);
    let memory = problems
        .or(memory)?
        .ok_or_else(|| ApiError::Internal("a memory without problems did not validate".into()))?;
    let (id, command) = create_command(caller, memory, rules);
    let appended = state
        .create::<Memory>(&id, command, &caller.metadata)
        .await?;
    // A new stream's row is the fold of its events: answer with it instead of reading it back.
    match appended
        .started_stream
        .then(|| memories::view_of_new_stream(&id, &appended.events))
        .flatten()
    {
        Some(view) => Ok(view),
        None => read(state, &caller.uid, &id).await,
    }
}

/// Creates every memory of a batch (problems at `{loc}.{i}`), or none when any is invalid; waits once for the
/// read model and answers them in order.
pub async fn create_batch(
    state: &AppState,
    caller: &Caller,
    inputs: Vec<MemoryInput>,
    rules: &Rules,
    loc: &str,
) -> ApiResult<Vec<MemoryView>> {
    if inputs.len() > rules.max_batch {
        return Err(ApiError::invalid(
            loc,
            format!("at most {} memories per batch", rules.max_batch),
        ));
    }
    let mut problems = Problems::new();
    let valid: Vec<NewMemory> = inputs
        .into_iter()
        .enumerate()
        .filter_map(|(i, input)| validate(input, rules, &format!("{loc}.{i}"), &mut problems))
        .collect();
    problems.finish()?;
    let commands = valid
        .into_iter()
        .map(|memory| create_command(caller, memory, rules))
        .collect();
    let ids = state
        .create_all::<Memory>(commands, &caller.metadata)
        .await?;
    let mut created = Vec::with_capacity(ids.len());
    for id in &ids {
        created.push(read(state, &caller.uid, id).await?);
    }
    Ok(created)
}

/// The user's memory, or 404.
pub async fn read(state: &AppState, uid: &str, id: &str) -> ApiResult<MemoryView> {
    memories::get(&state.database, uid, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Memory not found".into()))
}

/// The user's memory as it stands now, or as it stood at `at` (folded from its stream); 404 when it did not
/// exist then.
pub async fn read_at(
    state: &AppState,
    uid: &str,
    id: &str,
    at: Option<DateTime<Utc>>,
) -> ApiResult<MemoryView> {
    let Some(at) = at else {
        return read(state, uid, id).await;
    };
    history::memory_as_of(&state.database, uid, id, at)
        .await?
        .ok_or_else(|| ApiError::NotFound("Memory not found".into()))
}

/// A category name that is not one of the spec's (§2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCategory(pub String);

impl UnknownCategory {
    /// What it says: the name and the known ones.
    pub fn message(&self) -> String {
        format!(
            "Invalid category: {}. Valid categories: {}",
            self.0,
            MemoryCategory::ALL.map(|c| c.as_str()).join(", ")
        )
    }

    /// The 400 of the developer API and MCP (spec §7.4, §7.5).
    pub fn bad_request(self) -> ApiError {
        ApiError::BadRequest(self.message())
    }

    /// The 422 of the app's routes, at `loc`.
    pub fn invalid(self, loc: &str) -> ApiError {
        ApiError::invalid(loc, self.message())
    }
}

/// The categories named (each may be a csv; any case), each once.
pub fn categories<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<MemoryCategory>, UnknownCategory> {
    let mut categories = Vec::new();
    for name in names
        .into_iter()
        .flat_map(|names| names.split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let category = MemoryCategory::parse(&name.to_ascii_lowercase())
            .ok_or_else(|| UnknownCategory(name.to_string()))?;
        if !categories.contains(&category) {
            categories.push(category);
        }
    }
    Ok(categories)
}

/// A page of the user's memories, highest scored first; locked content cut to a preview (spec §1.2).
pub async fn list(
    state: &AppState,
    uid: &str,
    categories: &[MemoryCategory],
    page: Page,
) -> ApiResult<Vec<MemoryView>> {
    let found = memories::list(&state.database, uid, categories, page.limit, page.offset).await?;
    Ok(found.into_iter().map(list_form).collect())
}

/// A memory as lists show it: locked content cut to a preview (spec §1.2).
pub fn list_form(mut memory: MemoryView) -> MemoryView {
    if memory.is_locked && memory.content.chars().count() > LOCKED_PREVIEW {
        memory.content = memory
            .content
            .chars()
            .take(LOCKED_PREVIEW)
            .collect::<String>()
            + "...";
    }
    memory
}

/// Edits the user's memory (422 when no field is given, for an unknown visibility or content over the door's
/// limit) and answers it as stored.
pub async fn edit(
    state: &AppState,
    caller: &Caller,
    id: &str,
    update: MemoryUpdate,
    rules: &Rules,
) -> ApiResult<MemoryView> {
    let mut problems = Problems::new();
    if update.content.is_none()
        && update.category.is_none()
        && update.visibility.is_none()
        && update.tags.is_none()
    {
        problems.add(
            "body",
            "at least one of content, category, visibility, tags is required",
        );
    }
    if let (Some(content), Some(max)) = (&update.content, rules.max_content) {
        check_length(&mut problems, "body.content", "content", content, max);
    }
    let visibility = match update.visibility.as_deref() {
        None => None,
        name => visibility(name, "body.visibility", &mut problems),
    };
    problems.finish()?;
    let command = MemoryCommand::EditMemory {
        uid: caller.uid.clone(),
        content: update.content,
        category: update.category.as_deref().map(MemoryCategory::from_input),
        tags: update.tags.map(clean_tags),
        visibility,
        at: now(),
    };
    state
        .execute::<Memory>(id, command, &caller.metadata)
        .await?;
    read(state, &caller.uid, id).await
}

/// Replaces the content of the user's memory.
pub async fn edit_content(
    state: &AppState,
    caller: &Caller,
    id: &str,
    content: String,
) -> ApiResult<()> {
    let command = MemoryCommand::EditMemory {
        uid: caller.uid.clone(),
        content: Some(content),
        category: None,
        tags: None,
        visibility: None,
        at: now(),
    };
    state
        .execute::<Memory>(id, command, &caller.metadata)
        .await?;
    Ok(())
}

/// Makes the user's memory public or private; 400 for another visibility.
pub async fn change_visibility(
    state: &AppState,
    caller: &Caller,
    id: &str,
    visibility: &str,
) -> ApiResult<()> {
    let visibility = Visibility::parse(visibility).ok_or_else(|| {
        ApiError::BadRequest("Invalid visibility; use 'public' or 'private'".into())
    })?;
    let command = MemoryCommand::EditMemory {
        uid: caller.uid.clone(),
        content: None,
        category: None,
        tags: None,
        visibility: Some(visibility),
        at: now(),
    };
    state
        .execute::<Memory>(id, command, &caller.metadata)
        .await?;
    Ok(())
}

/// Records the user's verdict on the memory.
pub async fn review(state: &AppState, caller: &Caller, id: &str, value: bool) -> ApiResult<()> {
    let command = MemoryCommand::ReviewMemory {
        uid: caller.uid.clone(),
        value,
        at: now(),
    };
    state
        .execute::<Memory>(id, command, &caller.metadata)
        .await?;
    Ok(())
}

/// Deletes the user's memory (its history stays).
pub async fn delete(state: &AppState, caller: &Caller, id: &str) -> ApiResult<()> {
    let command = deletion(&caller.uid, now());
    state
        .execute::<Memory>(id, command, &caller.metadata)
        .await?;
    Ok(())
}

/// Deletes every memory of the user; answers how many there were.
pub async fn delete_all(state: &AppState, caller: &Caller) -> ApiResult<usize> {
    let ids = memories::ids_of_user(&state.database, &caller.uid).await?;
    let mut last = None;
    for id in &ids {
        let command = deletion(&caller.uid, now());
        match state
            .commands
            .execute::<Memory>(id, command, &caller.metadata)
            .await
        {
            Ok(appended) => last = last.max(appended.position),
            // Deleted by another request meanwhile: the goal is reached.
            Err(omi_commands::CommandError::Domain(omi_domain::DomainError::NotFound(_))) => {}
            Err(other) => return Err(other.into()),
        }
    }
    state.caught_up(last).await?;
    Ok(ids.len())
}

/// Every version of the user's memory, kept after deletion too.
pub async fn history(state: &AppState, uid: &str, id: &str) -> ApiResult<MemoryHistory> {
    history::memory_history(&state.database, uid, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Memory not found".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(content: &str, category: Option<&str>) -> MemoryInput {
        MemoryInput {
            category: category.map(String::from),
            ..MemoryInput::content_only(content.into())
        }
    }

    fn category(rules: &Rules, content: &str, given: Option<&str>) -> MemoryCategory {
        let mut problems = Problems::new();
        validate(input(content, given), rules, "body", &mut problems)
            .expect("valid")
            .category
    }

    #[test]
    fn each_door_fills_in_the_category_by_its_rule() {
        assert_eq!(
            category(&APP_V1, "I like tea", None),
            MemoryCategory::Interesting
        );
        assert_eq!(
            category(&APP_V1, "I like tea", Some("Work")),
            MemoryCategory::Work
        );
        assert_eq!(
            category(&DEVELOPER, "I like tea", None),
            MemoryCategory::System
        );
        assert_eq!(
            category(&DEVELOPER, "I like tea", Some(" ")),
            MemoryCategory::System
        );
        assert_eq!(
            category(&DEVELOPER, "I like tea", Some("work")),
            MemoryCategory::Work
        );
        assert_eq!(
            category(&MCP, "Tea is a drink", Some("work")),
            MemoryCategory::Interesting
        );
    }

    #[test]
    fn the_developer_limit_on_content_is_reported_at_its_place() {
        let mut problems = Problems::new();
        let long = "a".repeat(501);
        assert!(validate(
            input(&long, None),
            &DEVELOPER,
            "body.memories.2",
            &mut problems
        )
        .is_none());
        let Err(ApiError::Validation(found)) = problems.finish() else {
            panic!("expected a validation error");
        };
        assert_eq!(found[0].loc, ["body", "memories", "2", "content"]);
        let mut problems = Problems::new();
        assert!(validate(input(&long, None), &APP_V1, "body", &mut problems).is_some());
    }

    #[test]
    fn blank_content_and_an_unknown_visibility_are_both_reported() {
        let mut problems = Problems::new();
        let memory = MemoryInput {
            visibility: Some("everyone".into()),
            ..MemoryInput::content_only("  ".into())
        };
        assert!(validate(memory, &APP_V1, "body", &mut problems).is_none());
        let Err(ApiError::Validation(found)) = problems.finish() else {
            panic!("expected a validation error");
        };
        let places: Vec<String> = found.iter().map(|p| p.loc.join(".")).collect();
        assert_eq!(places, ["body.content", "body.visibility"]);
    }

    #[test]
    fn unknown_categories_are_refused_by_name() {
        assert_eq!(
            categories(["system,Interesting", "system"]).unwrap(),
            [MemoryCategory::System, MemoryCategory::Interesting]
        );
        let unknown = categories(["system,bogus"]).unwrap_err();
        assert_eq!(unknown, UnknownCategory("bogus".into()));
        assert!(unknown.message().contains("bogus"));
    }
}
