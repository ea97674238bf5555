//! The search index: the searchable text of each user's completed conversations (title, overview, transcript)
//! and of their memories, with the columns search filters on, indexed by the store itself (PostgreSQL full-text
//! search, SQLite FTS5; see migration 21) and ranked by relevance, newest first among equals.
//!
//! The rows are derived from the `conversations` and `memories` read models, which the projector applies earlier
//! in the same transaction (see the registry's order), so a row always says what the conversation or memory says
//! now; a replay folds the log with those read models' own rules and writes the same rows.
//!
//! Semantic search has read models of its own, `search_vectors` (see `vectors`) and `memory_vectors` (see
//! `memory_vectors`): the embedding recorded for each conversation and memory, compared with a query's when an
//! embeddings server is configured.

mod lexemes;
mod memory_vectors;
mod projection;
mod queries;
mod rows;
mod terms;
mod vectors;

pub use lexemes::{conversation_words, memory_words};
pub use memory_vectors::{nearest_memories, MemoryVectorsProjection};
pub use projection::SearchProjection;
pub use queries::{conversations, memories, raw_conversations_sql, Found, Hit, SearchFilter};
pub use terms::Terms;
pub use vectors::{
    backfill_window, embedded_run, nearest, BackfillCandidate, BackfillKind,
    SearchVectorsProjection,
};
