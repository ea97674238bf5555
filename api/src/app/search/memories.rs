//! Memory search: `GET /v3/memories/search`, MCP's `search_memories` and the developer API's memory search.

use omi_projections::memories::{self, MemoryView};
use omi_projections::search::Terms;
use schemars::JsonSchema;
use serde::Serialize;

use super::ranking;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The most memories one search returns.
pub const MAX_LIMIT: i64 = 100;

/// A memory found by a search, with how well it matched.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScoredMemory {
    #[serde(flatten)]
    pub memory: MemoryView,
    /// Relevance in 0..1, relative to the best match of the search (which scores 1); 0 when the query had no
    /// words. With an embeddings server, matches by words and by meaning are fused (see `ranking`).
    pub relevance_score: f64,
}

/// The user's memories matching `query`, best first (at most `limit`, 1 to 100; 422 otherwise).
pub async fn search_memories(
    state: &AppState,
    uid: &str,
    query: &str,
    limit: i64,
) -> ApiResult<Vec<ScoredMemory>> {
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let found = ranking::ranked_memories(state, uid, query, &Terms::of(query), limit, 0).await?;
    let mut out = Vec::with_capacity(found.hits.len());
    for hit in found.hits {
        // One deleted between the two reads is left out.
        if let Some(memory) = memories::get(&state.database, uid, &hit.id).await? {
            out.push(ScoredMemory {
                memory: crate::app::memories::list_form(memory),
                relevance_score: hit.score,
            });
        }
    }
    Ok(out)
}
