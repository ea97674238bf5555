//! The developer API's searches (conversations under `conversations:read`, memories under `memories:read`):
//! the application layer's one search path, in the developer API's shapes.

use aide::axum::routing::{get_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_domain::api_key::Scope;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::conversations::{folder_names, shape, DeveloperConversation};
use super::memories::DeveloperMemory;
use crate::app::search::{self, SearchPage, SearchRequest};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Params};
use crate::key_auth::KeyHolder;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/dev/user/conversations/search",
            post_with(search_conversations, |op| {
                op.summary("Search completed conversations by title, overview and transcript")
                    .description(
                        "The request and paging of POST /v1/conversations/search; items in the developer \
                         API's conversation shape, without transcripts.",
                    )
            }),
        )
        .api_route(
            "/v1/dev/user/memories/search",
            get_with(search_memories, |op| {
                op.summary("Search memories (?query=&limit=), most relevant first")
            }),
        )
}

async fn search_conversations(
    State(state): State<AppState>,
    key: KeyHolder,
    request: Result<Body<SearchRequest>, ApiError>,
) -> ApiResult<Json<SearchPage<DeveloperConversation>>> {
    key.require(Scope::ConversationsRead)?;
    let Body(request) = request?;
    let found = search::search_conversations(&state, &key.uid, &request).await?;
    let names = folder_names(&state, &key.uid).await?;
    Ok(Json(
        found.map(|found| shape(&found.conversation, None, &names)),
    ))
}

#[derive(Deserialize, JsonSchema)]
struct MemorySearchQuery {
    /// The words to look for; empty lists newest first.
    #[serde(default)]
    query: String,
    /// 1 to 100.
    #[serde(default = "ten")]
    limit: i64,
}

fn ten() -> i64 {
    10
}

/// A memory found by a search, in the developer API's shape, with how well it matched.
#[derive(Serialize, JsonSchema)]
struct ScoredDeveloperMemory {
    #[serde(flatten)]
    memory: DeveloperMemory,
    /// Relevance in 0..1, relative to the best match of the search (which scores 1).
    relevance_score: f64,
}

async fn search_memories(
    State(state): State<AppState>,
    key: KeyHolder,
    query: Result<Params<MemorySearchQuery>, ApiError>,
) -> ApiResult<Json<Vec<ScoredDeveloperMemory>>> {
    key.require(Scope::MemoriesRead)?;
    let Params(query) = query?;
    let found = search::search_memories(&state, &key.uid, &query.query, query.limit).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|scored| ScoredDeveloperMemory {
                memory: DeveloperMemory::of(scored.memory, true),
                relevance_score: scored.relevance_score,
            })
            .collect(),
    ))
}
