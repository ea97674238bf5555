//! What can be asked of the settings.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// A command to one user's settings; the stream id is the user id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DailySummarySettingsCommand {
    /// Changes what is given and keeps the rest; `hour` must be 0..=23.
    ChangeDailySummarySettings {
        uid: String,
        enabled: Option<bool>,
        hour: Option<u32>,
        at: Timestamp,
    },
}
