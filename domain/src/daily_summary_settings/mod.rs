//! A user's daily summary settings (spec §7.10 `daily-summary-settings`): whether the daily summary is written,
//! and at which local hour. The stream id is the user id. Kept apart from the user's profile (`crate::user`), which
//! holds the time zone the hour is read in.

mod aggregate;
mod commands;
mod events;

pub use aggregate::{DailySummarySettings, DEFAULT_ENABLED, DEFAULT_HOUR, MAX_HOUR};
pub use commands::DailySummarySettingsCommand;
pub use events::DailySummarySettingsEvent;
