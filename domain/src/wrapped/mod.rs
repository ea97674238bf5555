//! Wrapped, the yearly recap (spec §7.12): one stream per user and year. Generation is asked for, runs in the
//! background (a reaction) with progress along the way, and ends with the result or a failure; each step is an
//! event, so a replay restores every result that was shown.

mod aggregate;
mod commands;
mod events;
mod result;

pub use aggregate::{Wrapped, WrappedStatus, STUCK_AFTER_MINUTES};
pub use commands::WrappedCommand;
pub use events::WrappedEvent;
pub use result::{
    CategoryCount, DecisionStyle, LifeEvent, MemorableDay, MemorableDays, Obsessions, Phrase,
    SignaturePhrase, Story, TopBuddy, WrappedResult, WrittenSections, DECISION_STYLES,
};

/// The stream of `uid`'s wrapped of `year`.
pub fn stream_id(uid: &str, year: i32) -> String {
    format!("{uid}:wrapped:{year}")
}
