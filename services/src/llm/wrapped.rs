//! What a language model is given to write the sections of a yearly recap (spec §7.12) that are written rather
//! than counted, and the cues the deterministic writer and the prompt share. The sections it returns are the
//! domain's [`WrittenSections`].

use chrono::NaiveDate;

pub use omi_domain::wrapped::WrittenSections;

/// The year a recap is written about: its completed, non-discarded conversations, oldest first, and the counted
/// figures the writing may refer to.
#[derive(Debug, Clone, PartialEq)]
pub struct YearInReview {
    pub year: i32,
    pub conversations: Vec<YearConversation>,
    /// Categories with the most conversations first (at most five).
    pub top_categories: Vec<String>,
    /// Action items created in the year, and how many of them are completed.
    pub action_items: u64,
    pub completed_action_items: u64,
}

/// One conversation of the year.
#[derive(Debug, Clone, PartialEq)]
pub struct YearConversation {
    /// The day it was created (UTC).
    pub date: NaiveDate,
    pub title: String,
    pub overview: String,
    pub category: String,
    pub emoji: String,
    /// Its action items, and how many of them are completed.
    pub action_items: usize,
    pub completed_action_items: usize,
    /// The names of the people the user spoke with (their ids where the log names no such person), each once.
    pub people: Vec<String>,
    /// How many other speakers it had (assigned to a person or not).
    pub other_speakers: usize,
    /// Its transcript (segments joined by newlines) or imported text.
    pub text: String,
}

/// "Month Day" (e.g. "March 9"), the date form of the recap.
pub fn month_day(date: NaiveDate) -> String {
    date.format("%B %-d").to_string()
}
