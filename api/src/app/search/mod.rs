//! Search over a user's history (spec §6.1 `POST /v1/conversations/search`, MCP's `search_conversations` and
//! `search_memories`, the developer API's searches, and chat's retrieval): one code path for every door, over
//! the search index read model (`omi_projections::search`).
//!
//! A query's words are matched by any word (see `omi_projections::search::Terms`), ranked by relevance with the
//! newest first among equals; a query without words lists newest first. Where an embeddings server is configured,
//! conversations and memories found by meaning are mixed in (see `ranking`).

mod conversations;
mod memories;
mod ranking;
mod snippets;

pub use conversations::{search_conversations, MatchedConversation, SearchPage, SearchRequest};
pub use memories::{search_memories, ScoredMemory};
pub use omi_projections::search::Hit;
pub use snippets::match_snippets;

use omi_projections::search::{SearchFilter, Terms};

use crate::error::ApiResult;
use crate::state::AppState;

/// The most hits one call of [`conversation_hits`] or [`memory_hits`] returns, whatever `limit` asks.
pub const MAX_HITS: usize = 100;

/// The user's completed, non-discarded conversations matching `query`, best first (at most `limit`), as chat
/// retrieves them: the best of the newest `OMI_CHAT_CANDIDATES` (1,000) matches by words, with the semantic
/// matches when an embeddings server is configured. Words so common that they match more conversations than that
/// tell little apart, and ranking every match is what a search spends its time on.
pub async fn conversation_hits(
    state: &AppState,
    uid: &str,
    query: &str,
    limit: usize,
) -> ApiResult<Vec<Hit>> {
    let filter = SearchFilter {
        include_discarded: false,
        newest_matches: Some(state.config.chat_candidates),
        ..SearchFilter::default()
    };
    let found = ranking::ranked(
        state,
        uid,
        query,
        &Terms::of(query),
        &filter,
        limit.min(MAX_HITS) as i64,
        0,
    )
    .await?;
    Ok(found.hits)
}

/// The user's memories matching `query`, best first (at most `limit`), with the semantic matches when an
/// embeddings server is configured.
pub async fn memory_hits(
    state: &AppState,
    uid: &str,
    query: &str,
    limit: usize,
) -> ApiResult<Vec<Hit>> {
    let found = ranking::ranked_memories(
        state,
        uid,
        query,
        &Terms::of(query),
        limit.min(MAX_HITS) as i64,
        0,
    )
    .await?;
    Ok(found.hits)
}
