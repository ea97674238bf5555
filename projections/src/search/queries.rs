//! Searches of the index, one statement each, on either store.
//!
//! Relevance: on SQLite, FTS5's `bm25()` with column weights (title 10, overview 4, transcript 1); on PostgreSQL,
//! `ts_rank_cd` (cover density) with weights A 1.0, B 0.4, C 0.2 and normalization 1 (divided by 1 + the log of
//! the document's length, so a long transcript does not win by length alone, as BM25's length normalization
//! does). A hit's score is its raw score divided by the best of all the matches (not only the page's), so the
//! best match scores 1. Among equal scores the newest comes first, then the id.

use chrono::{DateTime, Utc};
use omi_store::{Backend, Database};
use sqlx::Row;

use super::Terms;
use crate::runtime::ProjectionError;
use crate::sql::AnyQuery;
use crate::time::micros;

/// One match, best first. `score` is relative relevance in 0..1 (higher is better, comparable only within one
/// search: the best match of the search scores 1); 0 when the search lists without words.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: String,
    pub score: f64,
    pub created_at: DateTime<Utc>,
}

/// A page of hits and how many there are in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub hits: Vec<Hit>,
    pub total: u64,
}

/// Which conversations a search may find, besides matching its words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchFilter {
    pub include_discarded: bool,
    /// Created at or after.
    pub start: Option<DateTime<Utc>>,
    /// Created at or before.
    pub end: Option<DateTime<Utc>>,
    /// `user` or a person id that speaks in the transcript.
    pub speaker: Option<String>,
    /// Rank only this many of the matches, the newest (all when `None`); `total` then counts those. Chat's
    /// retrieval sets it: words common enough to match thousands of conversations tell little apart, and ranking
    /// every match is what a search spends its time on.
    pub newest_matches: Option<u32>,
}

/// The SQL of a conversation search with words and no filter on `backend`: parameters are the query text
/// (`Terms::fts5` or `Terms::tsquery`), the uid, the limit and the offset; columns id, created_at (µs), score,
/// total, best score. The benchmark runs it directly to compare with the server.
pub fn raw_conversations_sql(backend: Backend) -> String {
    conversation_sql(backend, true, "", None)
}

/// `newest` ranks only that many of the matches, the newest: they are found by the index (or by the user's rows
/// newest first, whichever the planner takes), and only they are ranked.
fn conversation_sql(backend: Backend, words: bool, filters: &str, newest: Option<u32>) -> String {
    let newest_first = newest
        .map(|n| format!("ORDER BY c.created_at DESC, c.id LIMIT {n}"))
        .unwrap_or_default();
    match (words, backend) {
        (false, _) => format!(
            "SELECT c.id, c.created_at, count(*) OVER () FROM search_conversations c
             WHERE c.uid = $1 {filters}
             ORDER BY c.created_at DESC, c.id LIMIT $2 OFFSET $3"
        ),
        // FTS5 ranks only in a query of its own (not beside a window function): the matches are ranked first.
        // `CROSS JOIN` keeps the full-text index as the outer loop: left to itself, SQLite walks the user's rows
        // and runs the MATCH once per row (2.3 s instead of 19 ms at 10,000 conversations).
        (true, Backend::Sqlite) => format!(
            "WITH hits AS MATERIALIZED (
                 SELECT c.id, c.created_at,
                        -bm25(search_conversations_words, 10.0, 4.0, 1.0) AS score
                 FROM search_conversations_words
                 CROSS JOIN search_conversations c ON c.rowid = search_conversations_words.rowid
                 WHERE search_conversations_words MATCH $1 AND c.uid = $2 {filters}
                 {newest_first})
             SELECT id, created_at, score, count(*) OVER (), max(score) OVER () FROM hits
             ORDER BY score DESC, created_at DESC, id LIMIT $3 OFFSET $4"
        ),
        (true, Backend::Postgres) if newest.is_none() => format!(
            "WITH hits AS (
                 SELECT c.id, c.created_at,
                        CAST(ts_rank_cd('{{0.1, 0.2, 0.4, 1.0}}', c.words, q, 1) AS DOUBLE PRECISION) AS score
                 FROM search_conversations c, CAST($1 AS tsquery) q
                 WHERE c.words @@ q AND c.uid = $2 {filters})
             SELECT id, created_at, score, count(*) OVER (), max(score) OVER () FROM hits
             ORDER BY score DESC, created_at DESC, id LIMIT $3 OFFSET $4"
        ),
        // The newest matches first, ranked afterwards: ranking is what the statement spends its time on.
        (true, Backend::Postgres) => format!(
            "WITH newest AS (
                 SELECT c.id, c.created_at, c.words
                 FROM search_conversations c, CAST($1 AS tsquery) q
                 WHERE c.words @@ q AND c.uid = $2 {filters}
                 {newest_first}),
             hits AS (
                 SELECT n.id, n.created_at,
                        CAST(ts_rank_cd('{{0.1, 0.2, 0.4, 1.0}}', n.words, q, 1) AS DOUBLE PRECISION) AS score
                 FROM newest n, CAST($1 AS tsquery) q)
             SELECT id, created_at, score, count(*) OVER (), max(score) OVER () FROM hits
             ORDER BY score DESC, created_at DESC, id LIMIT $3 OFFSET $4"
        ),
    }
}

/// The user's conversations matching `terms` (any word) and `filter`, best first; with no words, newest first.
pub async fn conversations(
    database: &Database,
    uid: &str,
    terms: &Terms,
    filter: &SearchFilter,
    limit: i64,
    offset: i64,
) -> Result<Found, ProjectionError> {
    let backend = database.backend();
    let words = !terms.is_empty();
    // Parameters: (query), uid, limit, offset, then the filters'.
    let filters = filter_clauses(backend, filter, if words { 5 } else { 4 });
    let sql = conversation_sql(backend, words, &filters, filter.newest_matches);
    let mut query = sqlx::query(&sql);
    if words {
        query = query.bind(query_text(backend, terms));
    }
    let query = bind_filter(query.bind(uid).bind(limit).bind(offset), filter);
    let rows = query.fetch_all(database.pool()).await?;
    let found = read_found(&rows, words)?;
    if found.hits.is_empty() && offset > 0 {
        // A page past the end says nothing of the total: count without paging.
        let all = Box::pin(conversations(database, uid, terms, filter, 1, 0)).await?;
        return Ok(Found {
            hits: Vec::new(),
            total: all.total,
        });
    }
    Ok(found)
}

/// The SQL conditions of `filter` on the conversations `c` of `search_conversations`, their parameters numbered
/// from `first`; [`bind_filter`] binds them in the same order.
pub(crate) fn filter_clauses(backend: Backend, filter: &SearchFilter, first: usize) -> String {
    let mut next = first;
    let mut filters = String::new();
    if !filter.include_discarded {
        filters.push_str(" AND c.discarded = FALSE");
    }
    let mut param = |clause: &str| {
        filters.push_str(&clause.replace('?', &format!("${next}")));
        next += 1;
    };
    if filter.start.is_some() {
        param(" AND c.created_at >= ?");
    }
    if filter.end.is_some() {
        param(" AND c.created_at <= ?");
    }
    if filter.speaker.is_some() {
        param(match backend {
            Backend::Sqlite => " AND instr(c.speakers, ?) > 0",
            Backend::Postgres => " AND strpos(c.speakers, ?) > 0",
        });
    }
    filters
}

/// Binds the parameters of [`filter_clauses`] to `query`.
pub(crate) fn bind_filter<'q>(mut query: AnyQuery<'q>, filter: &SearchFilter) -> AnyQuery<'q> {
    if let Some(start) = &filter.start {
        query = query.bind(micros(start));
    }
    if let Some(end) = &filter.end {
        query = query.bind(micros(end));
    }
    if let Some(speaker) = &filter.speaker {
        query = query.bind(format!(" {speaker} "));
    }
    query
}

/// The user's memories matching `terms` (any word), best first; with no words, newest first.
pub async fn memories(
    database: &Database,
    uid: &str,
    terms: &Terms,
    limit: i64,
    offset: i64,
) -> Result<Found, ProjectionError> {
    let backend = database.backend();
    let words = !terms.is_empty();
    let sql = match (words, backend) {
        (false, _) => "SELECT m.id, m.created_at, count(*) OVER () FROM search_memories m
                       WHERE m.uid = $1 ORDER BY m.created_at DESC, m.id LIMIT $2 OFFSET $3",
        (true, Backend::Sqlite) => {
            "WITH hits AS MATERIALIZED (
                 SELECT m.id, m.created_at, -bm25(search_memories_words) AS score
                 FROM search_memories_words
                 CROSS JOIN search_memories m ON m.rowid = search_memories_words.rowid
                 WHERE search_memories_words MATCH $1 AND m.uid = $2)
             SELECT id, created_at, score, count(*) OVER (), max(score) OVER () FROM hits
             ORDER BY score DESC, created_at DESC, id LIMIT $3 OFFSET $4"
        }
        (true, Backend::Postgres) => {
            "WITH hits AS (
                 SELECT m.id, m.created_at,
                        CAST(ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', m.words, q, 1) AS DOUBLE PRECISION) AS score
                 FROM search_memories m, CAST($1 AS tsquery) q
                 WHERE m.words @@ q AND m.uid = $2)
             SELECT id, created_at, score, count(*) OVER (), max(score) OVER () FROM hits
             ORDER BY score DESC, created_at DESC, id LIMIT $3 OFFSET $4"
        }
    };
    let mut query = sqlx::query(sql);
    if words {
        query = query.bind(query_text(backend, terms));
    }
    let rows = query
        .bind(uid)
        .bind(limit)
        .bind(offset)
        .fetch_all(database.pool())
        .await?;
    read_found(&rows, words)
}

/// The words as the backend's query language.
fn query_text(backend: Backend, terms: &Terms) -> String {
    match backend {
        Backend::Sqlite => terms.fts5(),
        Backend::Postgres => terms.tsquery(),
    }
}

fn read_found(rows: &[sqlx::any::AnyRow], words: bool) -> Result<Found, ProjectionError> {
    let mut found = Found {
        hits: Vec::with_capacity(rows.len()),
        total: 0,
    };
    for row in rows {
        let created_at: i64 = row.try_get(1)?;
        let (score, total) = if words {
            let (raw, best): (f64, f64) = (row.try_get(2)?, row.try_get(4)?);
            (relevance(raw, best), row.try_get::<i64, _>(3)?)
        } else {
            (0.0, row.try_get::<i64, _>(2)?)
        };
        found.total = total.max(0) as u64;
        found.hits.push(Hit {
            id: row.try_get(0)?,
            score,
            created_at: DateTime::from_timestamp_micros(created_at).unwrap_or_default(),
        });
    }
    Ok(found)
}

/// A raw score as relevance in 0..1, relative to the best raw score of the search.
fn relevance(raw: f64, best: f64) -> f64 {
    if !(raw.is_finite() && best.is_finite()) || best <= 0.0 {
        return 0.0;
    }
    (raw / best).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::relevance;

    #[test]
    fn relevance_is_relative_to_the_best_match() {
        assert_eq!(relevance(2.0, 4.0), 0.5);
        assert_eq!(relevance(4.0, 4.0), 1.0);
        assert_eq!(relevance(1.0, 0.0), 0.0);
        assert_eq!(relevance(f64::NAN, 1.0), 0.0);
    }
}
