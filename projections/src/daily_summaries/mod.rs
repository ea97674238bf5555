//! Daily summaries as their owners list and read them, the public subset of shared ones, and each user's
//! daily summary settings (spec §7.10). Two read models: `daily_summaries` (one row per user and day, kept as a
//! tombstone once deleted, so the schedule knows the day was written) and `daily_summary_settings` (one row per
//! user who changed the defaults).

mod projection;
mod queries;
mod settings;
mod view;

pub use projection::DailySummariesProjection;
pub use queries::{get, list, shared, written_on};
pub use settings::{changed_settings, settings_of, DailySummarySettingsProjection, SettingsView};
pub use view::{DailySummaryView, LocationView};
