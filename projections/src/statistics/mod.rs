//! Statistics per user and day (issue 14): completed conversations (neither discarded nor deleted), time spoken
//! from segment timings, words, conversations per category, action items created and completed, memories
//! created, and the people spoken with. Wrapped, daily summaries and anything else that counts read them.
//!
//! ## Why contribution rows, counted when read
//!
//! Each conversation, action item and memory has one row holding what it contributes (the day it counts on and
//! its counts). For an action item and a memory that row is its own read model's (`action_items` with its
//! `created_at` and the `completed_at` its completion counts on, `memories` with its `created_at`, each indexed
//! by user and time): they contribute one or two days and nothing else. A conversation contributes more (time
//! spoken from segment timings, words, category, people), derived from a tally of its segments, so it has a row
//! in `statistics_conversations` beside the tally (`doc`). An event rewrites its entity's row only, so every way
//! a count can move is the same overwrite: a deletion or merge removes the row, a discard or an undiscard flips
//! `counted`, a reprocess replaces the category, an edited segment changes the words, a reopened item clears its
//! completion. Per-day totals kept as rows of their own would need the entity's previous contribution to subtract
//! (which is this row anyway) and a second, read-modify-write of a hot row per event; a replay would write both.
//! Counting at read time instead costs one indexed range read of the user's rows per kind: a day is a handful of
//! rows, a year a few thousand.
//!
//! The replay writes one narrow row per conversation, folded with the same `evolve` as the live path (no JSON is
//! parsed per event; the tally is serialized once per row). Which day an instant counts on is decided in [`day`]
//! only.

mod counts;
pub mod day;
mod fold;
mod projection;
mod queries;
mod tally;

pub use counts::{Contributions, DayStatistics, RangeStatistics, Statistics};
pub use fold::contributions_of;
pub use projection::ConversationStatisticsProjection;
pub use queries::{day, range};
pub use tally::{ConversationContribution, DEFAULT_CONVERSATION_MILLISECONDS};

#[cfg(test)]
mod tests;
