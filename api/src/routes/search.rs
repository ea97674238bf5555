//! Search (spec §6.1): `POST /v1/conversations/search`, and `GET /v3/memories/search`, an extension of this
//! server. Both run the application layer's one search path (`app::search`).

use aide::axum::routing::{get_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::search::{self, MatchedConversation, ScoredMemory, SearchPage, SearchRequest};
use crate::error::ApiResult;
use crate::extract::{Body, CurrentUser, Params};
use crate::policies;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/conversations/search",
            post_with(search_conversations, |op| {
                op.summary("Search your completed conversations by title, overview and transcript")
                    .description(
                        "Any word of `query` matches; the best matches come first (BM25 on SQLite, \
                         `ts_rank_cd` on PostgreSQL), the newest among equals. With an embeddings server \
                         (`OMI_EMBEDDINGS_BASE_URL`), conversations near the query in meaning are fused in \
                         (reciprocal rank). An empty query lists newest first. Dates bound `created_at`. \
                         Rate limit `conversations:search`.",
                    )
                    .tag("conversations")
            }),
        )
        .api_route(
            "/v3/memories/search",
            get_with(search_memories, |op| {
                op.summary("Search your memories (an extension of this server)")
                    .description(
                        "Not in the reference API: the memories whose content matches any word of \
                         `query`, and with an embeddings server those near it in meaning, best first, each \
                         with `relevance_score` in 0..1. An empty query lists newest first.",
                    )
                    .tag("memories")
            }),
        )
}

async fn search_conversations(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(request): Body<SearchRequest>,
) -> ApiResult<Json<SearchPage<MatchedConversation>>> {
    let limit = state.config.search_rate_per_hour;
    policies::enforce_hourly(&state.database, "conversations:search", limit, &user.uid).await?;
    Ok(Json(
        search::search_conversations(&state, &user.uid, &request).await?,
    ))
}

/// `?query=&limit=` of the memory search.
#[derive(Deserialize, JsonSchema)]
struct MemorySearchQuery {
    #[serde(default)]
    query: String,
    /// 1 to 100.
    #[serde(default = "ten")]
    limit: i64,
}

fn ten() -> i64 {
    10
}

async fn search_memories(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<MemorySearchQuery>,
) -> ApiResult<Json<Vec<ScoredMemory>>> {
    Ok(Json(
        search::search_memories(&state, &user.uid, &query.query, query.limit).await?,
    ))
}
