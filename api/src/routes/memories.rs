//! Memories: the mission's `/v1/memories` and the app's `/v3/memories` family (spec §2.5, §6.3), plus the
//! history of a memory.

use aide::axum::routing::{get_with, patch_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_commands::Metadata;
use omi_domain::memory::{Memory, MemoryCategory, MemoryCommand, Visibility};
use omi_projections::memories::{self, MemoryView};
use omi_projections::memory_history::{self, MemoryHistory};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Deleted, StatusOk};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Body, CurrentUser, Params, Path, QueryLists};
use crate::state::AppState;
use crate::time_input::now;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/memories",
            get_with(list, |op| {
                op.summary("List memories, highest scoring first (limit, offset, categories)")
            })
            .post_with(create_v1, |op| op.summary("Create a memory")),
        )
        .api_route(
            "/v1/memories/{id}",
            get_with(get_one, |op| op.summary("Get a memory"))
                .put_with(update, |op| {
                    op.summary("Edit a memory's content, category, visibility or tags")
                })
                .delete_with(delete_one, |op| op.summary("Delete a memory")),
        )
        .api_route(
            "/v1/memories/{id}/history",
            get_with(history, |op| {
                op.summary("Every version of a memory, kept after deletion")
            }),
        )
        .api_route(
            "/v3/memories",
            get_with(list, |op| op.summary("List memories (app)"))
                .post_with(create_v3, |op| op.summary("Create a memory (app)"))
                .delete_with(delete_all, |op| op.summary("Delete all memories")),
        )
        .api_route(
            "/v3/memories/batch",
            post_with(create_batch, |op| op.summary("Create up to 100 memories")),
        )
        .api_route(
            "/v3/memories/{id}",
            patch_with(edit_content, |op| {
                op.summary("Replace a memory's content (?value=)")
            })
            .delete_with(delete_one, |op| op.summary("Delete a memory (app)")),
        )
        .api_route(
            "/v3/memories/{id}/review",
            post_with(review, |op| {
                op.summary("Review an extracted memory (?value=bool)")
            }),
        )
        .api_route(
            "/v3/memories/{id}/visibility",
            patch_with(change_visibility, |op| {
                op.summary("Make a memory public or private (?value=)")
            }),
        )
        .with_path_items(|item| item.tag("memories"))
}

/// The most memories one page returns.
const MAX_LIMIT: i64 = 5_000;
/// The most memories one batch creates.
const MAX_BATCH: usize = 100;

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

/// A validated memory to create.
pub struct NewMemory {
    pub content: String,
    pub category: MemoryCategory,
    pub visibility: Visibility,
    pub tags: Vec<String>,
}

impl MemoryInput {
    /// Checks the input; problems are reported at `loc` (`body` or `body.memories.3`).
    pub fn validate(self, loc: &str, problems: &mut Vec<Problem>) -> Option<NewMemory> {
        let content = self.content.trim().to_string();
        if content.is_empty() {
            problems.push(Problem::new(
                &format!("{loc}.content"),
                "Memory content cannot be empty",
            ));
        }
        let visibility = match self.visibility.as_deref() {
            None => Some(Visibility::Private),
            Some(name) => Visibility::parse(name),
        };
        if visibility.is_none() {
            problems.push(Problem::new(
                &format!("{loc}.visibility"),
                "visibility must be 'private' or 'public'",
            ));
        }
        let category = self
            .category
            .as_deref()
            .map(MemoryCategory::from_input)
            .unwrap_or(MemoryCategory::Interesting);
        Some(NewMemory {
            content,
            category,
            visibility: visibility?,
            tags: clean_tags(self.tags),
        })
        .filter(|memory| !memory.content.is_empty())
    }
}

fn clean_tags(tags: Vec<String>) -> Vec<String> {
    tags.into_iter()
        .map(|tag| tag.trim().to_string())
        .filter(|tag| !tag.is_empty())
        .collect()
}

/// The command that creates `memory` for the user, and the memory's id: a new one every time, so that a memory
/// written with the content of another (even one since edited) is a memory of its own.
pub fn create_command(
    uid: &str,
    memory: NewMemory,
    manually_added: bool,
) -> (String, MemoryCommand) {
    let id = Uuid::new_v4().to_string();
    let command = MemoryCommand::CreateMemory {
        uid: uid.to_string(),
        content: memory.content,
        category: memory.category,
        visibility: memory.visibility,
        tags: memory.tags,
        manually_added,
        conversation_id: None,
        app_id: None,
        at: now(),
    };
    (id, command)
}

/// The user's memory, or 404.
pub(crate) async fn read(state: &AppState, uid: &str, id: &str) -> ApiResult<MemoryView> {
    memories::get(&state.database, uid, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Memory not found".into()))
}

#[derive(Deserialize, JsonSchema)]
struct Page {
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
}

fn default_limit() -> i64 {
    100
}

/// Only memories of these categories (any case); all when none is given.
#[derive(Deserialize, JsonSchema)]
struct CategoryFilter {
    #[serde(default)]
    categories: Vec<String>,
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(page): Params<Page>,
    QueryLists(filter): QueryLists<CategoryFilter>,
) -> ApiResult<Json<Vec<MemoryView>>> {
    let mut problems = Vec::new();
    if !(1..=MAX_LIMIT).contains(&page.limit) {
        problems.push(Problem::new(
            "query.limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    if page.offset < 0 {
        problems.push(Problem::new("query.offset", "offset must not be negative"));
    }
    let mut categories = Vec::new();
    for name in filter.categories {
        match MemoryCategory::parse(&name.to_ascii_lowercase()) {
            Some(category) => categories.push(category),
            None => problems.push(Problem::new(
                "query.categories",
                format!(
                    "unknown category {name:?}; known: {}",
                    MemoryCategory::ALL.map(|c| c.as_str()).join(", ")
                ),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let found = memories::list(
        &state.database,
        &user.uid,
        &categories,
        page.limit,
        page.offset,
    )
    .await?;
    Ok(Json(found))
}

/// `POST /v1/memories`: a memory written through the user API is the user's own, so it counts as manually
/// added (and reviewed).
async fn create_v1(
    state: State<AppState>,
    user: CurrentUser,
    body: Body<MemoryInput>,
) -> ApiResult<Json<MemoryView>> {
    create(state, user, body, |_| true).await
}

/// `POST /v3/memories`: as the reference server, only the `manual` category counts as manually added.
async fn create_v3(
    state: State<AppState>,
    user: CurrentUser,
    body: Body<MemoryInput>,
) -> ApiResult<Json<MemoryView>> {
    create(state, user, body, |category| {
        category == MemoryCategory::Manual
    })
    .await
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(input): Body<MemoryInput>,
    manual: fn(MemoryCategory) -> bool,
) -> ApiResult<Json<MemoryView>> {
    let mut problems = Vec::new();
    let memory = input.validate("body", &mut problems);
    let Some(memory) = memory.filter(|_| problems.is_empty()) else {
        return Err(ApiError::Validation(problems));
    };
    let manually_added = manual(memory.category);
    let (id, command) = create_command(&user.uid, memory, manually_added);
    let appended = state
        .create::<Memory>(&id, command, &user.metadata())
        .await?;
    // A new stream's row is the fold of its events: answer with it instead of reading it back.
    match appended
        .started_stream
        .then(|| memories::view_of_new_stream(&id, &appended.events))
        .flatten()
    {
        Some(view) => Ok(Json(view)),
        None => Ok(Json(read(&state, &user.uid, &id).await?)),
    }
}

#[derive(Deserialize, JsonSchema)]
struct Batch {
    memories: Vec<MemoryInput>,
}

/// The memories a batch created, in the order given.
#[derive(Serialize, JsonSchema)]
struct BatchCreated {
    created_count: usize,
    memories: Vec<MemoryView>,
}

async fn create_batch(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(batch): Body<Batch>,
) -> ApiResult<Json<BatchCreated>> {
    if batch.memories.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "body.memories",
            format!("at most {MAX_BATCH} memories per batch"),
        ));
    }
    // Validate everything first: an invalid batch writes nothing.
    let mut problems = Vec::new();
    let valid: Vec<NewMemory> = batch
        .memories
        .into_iter()
        .enumerate()
        .filter_map(|(i, input)| input.validate(&format!("body.memories.{i}"), &mut problems))
        .collect();
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let valid = valid
        .into_iter()
        .map(|memory| {
            let manually_added = memory.category == MemoryCategory::Manual;
            (memory, manually_added)
        })
        .collect();
    let created = create_all(&state, &user.uid, &user.metadata(), valid).await?;
    Ok(Json(BatchCreated {
        created_count: created.len(),
        memories: created,
    }))
}

/// Creates validated memories (each with whether it counts as manually added), waits once for the read model,
/// and reads them back in order.
pub(crate) async fn create_all(
    state: &AppState,
    uid: &str,
    metadata: &Metadata,
    memories: Vec<(NewMemory, bool)>,
) -> ApiResult<Vec<MemoryView>> {
    let commands = memories
        .into_iter()
        .map(|(memory, manually_added)| create_command(uid, memory, manually_added))
        .collect();
    let ids = state.create_all::<Memory>(commands, metadata).await?;
    let mut created = Vec::with_capacity(ids.len());
    for id in &ids {
        created.push(read(state, uid, id).await?);
    }
    Ok(created)
}

async fn get_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<MemoryView>> {
    Ok(Json(read(&state, &user.uid, &id).await?))
}

/// A partial update of a memory (`PUT /v1/memories/{id}`, the developer API's `PATCH`).
#[derive(Deserialize, JsonSchema)]
pub(crate) struct MemoryUpdate {
    pub content: Option<String>,
    pub category: Option<String>,
    pub visibility: Option<String>,
    pub tags: Option<Vec<String>>,
}

impl MemoryUpdate {
    /// The edit command for the user's memory; 422 when no field is given or the visibility is unknown.
    pub(crate) fn into_command(self, uid: &str) -> ApiResult<MemoryCommand> {
        if self.content.is_none()
            && self.category.is_none()
            && self.visibility.is_none()
            && self.tags.is_none()
        {
            return Err(ApiError::invalid(
                "body",
                "at least one of content, category, visibility, tags is required",
            ));
        }
        let visibility = match self.visibility.as_deref() {
            None => None,
            Some(name) => Some(Visibility::parse(name).ok_or_else(|| {
                ApiError::invalid(
                    "body.visibility",
                    "visibility must be 'private' or 'public'",
                )
            })?),
        };
        Ok(MemoryCommand::EditMemory {
            uid: uid.to_string(),
            content: self.content,
            category: self.category.as_deref().map(MemoryCategory::from_input),
            tags: self.tags.map(clean_tags),
            visibility,
            at: now(),
        })
    }
}

async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(body): Body<MemoryUpdate>,
) -> ApiResult<Json<MemoryView>> {
    let command = body.into_command(&user.uid)?;
    state
        .execute::<Memory>(&id, command, &user.metadata())
        .await?;
    Ok(Json(read(&state, &user.uid, &id).await?))
}

async fn delete_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<StatusOk>> {
    let command = MemoryCommand::DeleteMemory {
        uid: user.uid.clone(),
        at: now(),
    };
    state
        .execute::<Memory>(&id, command, &user.metadata())
        .await?;
    Ok(Json(StatusOk::default()))
}

async fn delete_all(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Deleted>> {
    let metadata = user.metadata();
    let ids = memories::ids_of_user(&state.database, &user.uid).await?;
    let mut last = None;
    for id in &ids {
        let command = MemoryCommand::DeleteMemory {
            uid: user.uid.clone(),
            at: now(),
        };
        match state
            .commands
            .execute::<Memory>(id, command, &metadata)
            .await
        {
            Ok(appended) => last = last.max(appended.position),
            // Deleted by another request meanwhile: the goal is reached.
            Err(omi_commands::CommandError::Domain(omi_domain::DomainError::NotFound(_))) => {}
            Err(other) => return Err(other.into()),
        }
    }
    state.caught_up(last).await?;
    Ok(Json(Deleted::new(ids.len())))
}

#[derive(Deserialize, JsonSchema)]
struct BoolValue {
    value: bool,
}

async fn review(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<BoolValue>,
) -> ApiResult<Json<StatusOk>> {
    let command = MemoryCommand::ReviewMemory {
        uid: user.uid.clone(),
        value: query.value,
        at: now(),
    };
    state
        .execute::<Memory>(&id, command, &user.metadata())
        .await?;
    Ok(Json(StatusOk::default()))
}

#[derive(Deserialize, JsonSchema)]
struct TextValue {
    value: String,
}

async fn edit_content(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<TextValue>,
) -> ApiResult<Json<StatusOk>> {
    let command = MemoryCommand::EditMemory {
        uid: user.uid.clone(),
        content: Some(query.value),
        category: None,
        tags: None,
        visibility: None,
        at: now(),
    };
    state
        .execute::<Memory>(&id, command, &user.metadata())
        .await?;
    Ok(Json(StatusOk::default()))
}

async fn change_visibility(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<TextValue>,
) -> ApiResult<Json<StatusOk>> {
    let visibility = Visibility::parse(&query.value).ok_or_else(|| {
        ApiError::BadRequest("Invalid visibility; use 'public' or 'private'".into())
    })?;
    let command = MemoryCommand::EditMemory {
        uid: user.uid.clone(),
        content: None,
        category: None,
        tags: None,
        visibility: Some(visibility),
        at: now(),
    };
    state
        .execute::<Memory>(&id, command, &user.metadata())
        .await?;
    Ok(Json(StatusOk::default()))
}

async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<MemoryHistory>> {
    memory_history::history(&state.database, &user.uid, &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("Memory not found".into()))
}

/// The category of a memory an external writer (developer API, MCP) sends without one (spec §3.3: `system` or
/// `interesting`). Deterministic: a memory about the user — one that speaks in the first person (I, me, my, we,
/// our…) or names "the user" — is `system`; anything else (a fact, a piece of advice, something someone else
/// said) is `interesting`.
pub(crate) fn detect_category(content: &str) -> MemoryCategory {
    const ABOUT_THE_USER: [&str; 14] = [
        "i", "i'm", "im", "i've", "ive", "i'd", "i'll", "me", "my", "mine", "myself", "we", "our",
        "user",
    ];
    let first_person = content
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .map(|word| word.replace('’', "'").to_lowercase())
        .map(|word| match word.strip_suffix("'s") {
            Some(owner) => owner.to_string(),
            None => word,
        })
        .any(|word| ABOUT_THE_USER.contains(&word.as_str()));
    if first_person {
        MemoryCategory::System
    } else {
        MemoryCategory::Interesting
    }
}
