//! The ranking of a conversation or memory search: the full-text index's, mixed with semantic matches when an
//! embeddings server is configured (`OMI_EMBEDDINGS_BASE_URL`).
//!
//! Mixing: the query is embedded, the user's conversations (or memories) whose vectors lie at least
//! `OMI_EMBEDDINGS_MIN_SIMILARITY` (cosine) from it are the semantic list, and both lists are fused by reciprocal
//! rank (each conversation scores the sum of `1 / (60 + rank)` over the lists that hold it), so one found both by
//! its words and by its meaning comes first, and one found by meaning alone can be found at all. Each list
//! counts its best [`FUSED_WINDOW`] matches; pages beyond that many results follow the full-text ranking alone.
//!
//! An embeddings server that fails or is slow never fails a search: it is logged, and the search is full-text.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use omi_domain::conversation::Embedding;
use omi_projections::search::{self, Found, Hit, SearchFilter, Terms};

use crate::error::ApiResult;
use crate::state::AppState;

/// The matches of each list that the fusion ranks.
pub const FUSED_WINDOW: i64 = 1_000;
/// Reciprocal rank fusion's constant: how much the first ranks outweigh the next ones.
const RRF_K: f64 = 60.0;
/// How long a search waits for its query's vector.
const QUERY_EMBEDDING_TIMEOUT: Duration = Duration::from_secs(5);

/// The user's conversations matching `query` (whose words are `terms`) and `filter`, best first, `limit` from
/// `offset`, with how many there are in all.
pub async fn ranked(
    state: &AppState,
    uid: &str,
    query: &str,
    terms: &Terms,
    filter: &SearchFilter,
    limit: i64,
    offset: i64,
) -> ApiResult<Found> {
    let database = &state.database;
    let Some(meaning) = query_vector(state, query, terms, limit, offset).await else {
        return Ok(search::conversations(database, uid, terms, filter, limit, offset).await?);
    };
    let words = search::conversations(database, uid, terms, filter, FUSED_WINDOW, 0).await?;
    let near = search::nearest(
        database,
        uid,
        &meaning.model,
        &meaning.vector,
        filter,
        meaning.min_similarity,
        FUSED_WINDOW as usize,
    )
    .await?;
    Ok(page(words, &near, limit, offset))
}

/// The user's memories matching `query` (whose words are `terms`), best first, `limit` from `offset`, with how
/// many there are in all: ranked as conversations are.
pub async fn ranked_memories(
    state: &AppState,
    uid: &str,
    query: &str,
    terms: &Terms,
    limit: i64,
    offset: i64,
) -> ApiResult<Found> {
    let database = &state.database;
    let Some(meaning) = query_vector(state, query, terms, limit, offset).await else {
        return Ok(search::memories(database, uid, terms, limit, offset).await?);
    };
    let words = search::memories(database, uid, terms, FUSED_WINDOW, 0).await?;
    let near = search::nearest_memories(
        database,
        uid,
        &meaning.model,
        &meaning.vector,
        meaning.min_similarity,
        FUSED_WINDOW as usize,
    )
    .await?;
    Ok(page(words, &near, limit, offset))
}

/// A query's place in the embeddings model's space, and how near a match must lie.
struct Meaning {
    model: String,
    vector: Embedding,
    min_similarity: f64,
}

/// The query's vector, when the search mixes in matches by meaning: an embeddings server is configured, the
/// query has words, the page lies within the fused window, and the server answers in time.
async fn query_vector(
    state: &AppState,
    query: &str,
    terms: &Terms,
    limit: i64,
    offset: i64,
) -> Option<Meaning> {
    let (Some(embedder), Some(settings)) = (&state.embedder, &state.config.embeddings) else {
        return None;
    };
    if terms.is_empty() || offset.saturating_add(limit) > FUSED_WINDOW {
        return None;
    }
    let asked = tokio::time::timeout(
        QUERY_EMBEDDING_TIMEOUT,
        embedder.embed(&[query.to_string()]),
    )
    .await;
    let vector = match asked {
        Ok(Ok(mut vectors)) => vectors.pop(),
        Ok(Err(error)) => {
            tracing::warn!(%error, "the query could not be embedded; searching by words only");
            None
        }
        Err(_) => {
            tracing::warn!("the embeddings server did not answer in time; searching by words only");
            None
        }
    }?;
    Some(Meaning {
        model: embedder.model().to_string(),
        vector,
        min_similarity: settings.min_similarity,
    })
}

/// The page `limit` from `offset` of the full-text and the semantic matches fused; the total counts those found
/// by meaning alone too.
fn page(words: Found, meaning: &[Hit], limit: i64, offset: i64) -> Found {
    let known: HashSet<&str> = words.hits.iter().map(|hit| hit.id.as_str()).collect();
    let only_by_meaning = meaning
        .iter()
        .filter(|hit| !known.contains(hit.id.as_str()))
        .count() as u64;
    let fused = fuse(&words.hits, meaning);
    Found {
        hits: fused
            .into_iter()
            .skip(offset.max(0) as usize)
            .take(limit.max(0) as usize)
            .collect(),
        total: words.total + only_by_meaning,
    }
}

/// Both lists in one by reciprocal rank fusion, best first (then newest, then by id); scores relative to the best.
fn fuse(words: &[Hit], meaning: &[Hit]) -> Vec<Hit> {
    let mut fused: HashMap<&str, Hit> = HashMap::new();
    for list in [words, meaning] {
        for (rank, hit) in list.iter().enumerate() {
            let score = 1.0 / (RRF_K + rank as f64 + 1.0);
            fused
                .entry(hit.id.as_str())
                .and_modify(|seen| seen.score += score)
                .or_insert_with(|| Hit {
                    score,
                    ..hit.clone()
                });
        }
    }
    let mut hits: Vec<Hit> = fused.into_values().collect();
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.created_at.cmp(&a.created_at))
            .then(a.id.cmp(&b.id))
    });
    let best = hits.first().map_or(1.0, |hit| hit.score);
    for hit in &mut hits {
        hit.score /= best;
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn hit(id: &str, seconds: i64) -> Hit {
        Hit {
            id: id.into(),
            score: 0.5,
            created_at: Utc.timestamp_opt(seconds, 0).unwrap(),
        }
    }

    #[test]
    fn found_by_both_comes_first_and_meaning_alone_is_found() {
        let words = [hit("a", 1), hit("b", 2)];
        let meaning = [hit("b", 2), hit("c", 3)];
        let fused = fuse(&words, &meaning);
        let ids: Vec<&str> = fused.iter().map(|hit| hit.id.as_str()).collect();
        // b is in both lists; a is first by words, c second by meaning.
        assert_eq!(ids, ["b", "a", "c"]);
        assert_eq!(fused[0].score, 1.0);
        assert!(fused[1].score < 1.0 && fused[1].score > fused[2].score);
        let tied = fuse(&[hit("old", 1)], &[hit("new", 2)]);
        assert_eq!(
            tied[0].id, "new",
            "among equal scores the newest comes first"
        );
    }

    #[test]
    fn one_list_keeps_its_order() {
        let words = [hit("a", 1), hit("b", 2), hit("c", 3)];
        let ids: Vec<String> = fuse(&words, &[]).into_iter().map(|hit| hit.id).collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }
}
