//! What happened to a daily summary.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out, so renaming a variant changes nothing stored. Changing a stored name or a payload's shape breaks
//! the logs already written unless it comes with a new version and an upcaster (see [`crate::contract`]); the
//! stored form of every event is pinned by a fixture (`domain/tests/event_contracts.rs`).

use chrono::NaiveDate;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{DailySummary, DailySummaryContent, SummaryVisibility, Trigger};
use crate::contract::stored_events;
use crate::Timestamp;

/// An event on the stream of one user's day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DailySummaryEvent {
    /// The summary of `date` was written (first, or again after it was deleted); it starts private.
    #[serde(rename = "DailySummaryGenerated")]
    DailySummaryGenerated {
        uid: String,
        date: NaiveDate,
        content: DailySummaryContent,
        trigger: Trigger,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        generated_at: Timestamp,
    },
    /// The live summary's content was written again; its visibility stays.
    #[serde(rename = "DailySummaryRegenerated")]
    DailySummaryRegenerated {
        content: DailySummaryContent,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        regenerated_at: Timestamp,
    },
    #[serde(rename = "DailySummaryVisibilityChanged")]
    DailySummaryVisibilityChanged {
        visibility: SummaryVisibility,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        changed_at: Timestamp,
    },
    #[serde(rename = "DailySummaryDeleted")]
    DailySummaryDeleted {
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        deleted_at: Timestamp,
    },
}

stored_events! {
    events: DailySummaryEvent,
    aggregate_type: DailySummary::TYPE,
    stored: {
        DailySummaryGenerated => ("DailySummaryGenerated", "1.0"),
        DailySummaryRegenerated => ("DailySummaryRegenerated", "1.0"),
        DailySummaryVisibilityChanged => ("DailySummaryVisibilityChanged", "1.0"),
        DailySummaryDeleted => ("DailySummaryDeleted", "1.0"),
    }
}
