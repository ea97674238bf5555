//! What can be asked of a daily summary.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{DailySummaryContent, SummaryVisibility};
use crate::Timestamp;

/// Why a summary is generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The daily schedule: happens at most once per user and day, whatever became of the summary since.
    Scheduled,
    /// The user asked for it (`POST /v1/users/daily-summary-settings/test`): writes the day again.
    OnDemand,
}

/// A command to the summary of one user's day; the stream id is [`super::summary_id`] of both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DailySummaryCommand {
    /// Records a summary of `date` written from the day's data.
    GenerateDailySummary {
        uid: String,
        date: NaiveDate,
        content: DailySummaryContent,
        trigger: Trigger,
        at: Timestamp,
    },
    /// Replaces the content of a live summary, at most once per cooldown.
    RegenerateDailySummary {
        uid: String,
        content: DailySummaryContent,
        at: Timestamp,
    },
    /// Shares the summary or makes it private again.
    ChangeDailySummaryVisibility {
        uid: String,
        visibility: SummaryVisibility,
        at: Timestamp,
    },
    /// Deletes the summary.
    DeleteDailySummary { uid: String, at: Timestamp },
}
