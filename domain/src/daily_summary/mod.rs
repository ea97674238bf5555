//! Daily summaries (spec §2.12, §7.10): one summary of a user's day, written from that day's conversations. The
//! stream id is derived from the user and the date ([`summary_id`]), so "one summary per user and day" holds
//! across server processes and restarts by the log's optimistic concurrency alone: a second scheduled attempt
//! finds the stream taken and records nothing.

mod aggregate;
mod commands;
mod content;
mod events;

use chrono::NaiveDate;
use uuid::Uuid;

pub use aggregate::{DailySummary, REGENERATE_COOLDOWN_SECONDS, REGENERATE_TOO_SOON};
pub use commands::{DailySummaryCommand, Trigger};
pub use content::{
    DailySummaryContent, DayStats, Decision, Highlight, KnowledgeNugget, Priority,
    SummaryActionItem, SummaryLocation, SummaryVisibility, UnresolvedQuestion,
};
pub use events::DailySummaryEvent;

const SUMMARY_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f6d_695f_6461_696c_795f_7375_6d6d_6172);

/// The id of the user's summary of `date`, and of its stream: the same user and day always give the same id, and
/// two users never share one.
pub fn summary_id(uid: &str, date: NaiveDate) -> String {
    let seed = format!("{uid}\u{1f}{}", date.format("%Y-%m-%d"));
    Uuid::new_v5(&SUMMARY_ID_NAMESPACE, seed.as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_depends_on_the_user_and_the_day_only() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let next = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(summary_id("alice", day), summary_id("alice", day));
        assert_ne!(summary_id("alice", day), summary_id("alice", next));
        assert_ne!(summary_id("alice", day), summary_id("bob", day));
    }
}
