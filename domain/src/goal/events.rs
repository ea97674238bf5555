//! What happened to a user's goals.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out, so renaming a variant changes nothing stored. Changing a stored name or a payload's shape breaks
//! the logs already written unless it comes with a new version and an upcaster (see [`crate::contract`]); the
//! stored form of every event is pinned by a fixture (`domain/tests/event_contracts.rs`).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{GoalType, Goals};
use crate::contract::stored_events;
use crate::{Patch, Timestamp};

/// An event on a user's goals stream; every one names the goal it is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GoalsEvent {
    /// A goal came into being, active.
    #[serde(rename = "GoalCreated")]
    GoalCreated {
        uid: String,
        goal_id: String,
        title: String,
        goal_type: GoalType,
        target_value: f64,
        current_value: f64,
        min_value: f64,
        max_value: f64,
        unit: Option<String>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        created_at: Timestamp,
    },
    /// An active goal stopped being active, to make room for a newer one.
    #[serde(rename = "GoalDeactivated")]
    GoalDeactivated {
        goal_id: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        deactivated_at: Timestamp,
    },
    /// Some fields of a goal changed; only the changed ones are present, a cleared unit is an explicit `null`.
    #[serde(rename = "GoalUpdated")]
    GoalUpdated {
        goal_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target_value: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current_value: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_value: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_value: Option<f64>,
        #[serde(default, skip_serializing_if = "Patch::is_keep")]
        unit: Patch<String>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        updated_at: Timestamp,
    },
    /// A progress value was recorded: the goal's current value, and one entry of its history.
    #[serde(rename = "GoalProgressRecorded")]
    GoalProgressRecorded {
        goal_id: String,
        value: f64,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        recorded_at: Timestamp,
    },
    /// The goal was deleted.
    #[serde(rename = "GoalDeleted")]
    GoalDeleted {
        goal_id: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        deleted_at: Timestamp,
    },
}

impl GoalsEvent {
    /// The goal the event is about.
    pub fn goal_id(&self) -> &str {
        match self {
            GoalsEvent::GoalCreated { goal_id, .. }
            | GoalsEvent::GoalDeactivated { goal_id, .. }
            | GoalsEvent::GoalUpdated { goal_id, .. }
            | GoalsEvent::GoalProgressRecorded { goal_id, .. }
            | GoalsEvent::GoalDeleted { goal_id, .. } => goal_id,
        }
    }
}

stored_events! {
    events: GoalsEvent,
    aggregate_type: Goals::TYPE,
    stored: {
        GoalCreated => ("GoalCreated", "1.0"),
        GoalDeactivated => ("GoalDeactivated", "1.0"),
        GoalUpdated => ("GoalUpdated", "1.0"),
        GoalProgressRecorded => ("GoalProgressRecorded", "1.0"),
        GoalDeleted => ("GoalDeleted", "1.0"),
    }
}
