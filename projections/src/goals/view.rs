//! A goal and its progress history as the API returns them (`GoalResponse`, `GoalHistoryEntryResponse`).

use chrono::{DateTime, Utc};
use omi_domain::goal::{GoalType, GoalsEvent};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::time::iso;

/// A goal as stored in the `goals` read model and returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GoalView {
    /// `goal_` and 12 hex digits.
    pub id: String,
    pub title: String,
    pub goal_type: GoalType,
    pub target_value: f64,
    pub current_value: f64,
    pub min_value: f64,
    pub max_value: f64,
    pub unit: Option<String>,
    /// False once a newer goal took its place among the (at most 3) active ones.
    pub is_active: bool,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub updated_at: DateTime<Utc>,
}

/// One progress value of a goal's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProgressEntry {
    /// The UTC day it was recorded on (`YYYY-MM-DD`).
    pub date: String,
    pub value: f64,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub recorded_at: DateTime<Utc>,
}

/// Every progress value of one goal, oldest first (the `goal_progress` row's document).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct GoalProgress {
    pub entries: Vec<ProgressEntry>,
}

impl GoalView {
    /// The owner and goal after `event`; `None` once the goal is deleted. `current` is the goal before it.
    pub(crate) fn evolve(
        current: Option<(String, GoalView)>,
        event: &GoalsEvent,
    ) -> Option<(String, GoalView)> {
        match event {
            GoalsEvent::GoalCreated {
                uid,
                goal_id,
                title,
                goal_type,
                target_value,
                current_value,
                min_value,
                max_value,
                unit,
                created_at,
            } => Some((
                uid.clone(),
                GoalView {
                    id: goal_id.clone(),
                    title: title.clone(),
                    goal_type: *goal_type,
                    target_value: *target_value,
                    current_value: *current_value,
                    min_value: *min_value,
                    max_value: *max_value,
                    unit: unit.clone(),
                    is_active: true,
                    created_at: *created_at,
                    updated_at: *created_at,
                },
            )),
            GoalsEvent::GoalDeactivated { deactivated_at, .. } => current.map(|(uid, goal)| {
                (
                    uid,
                    GoalView {
                        is_active: false,
                        updated_at: *deactivated_at,
                        ..goal
                    },
                )
            }),
            GoalsEvent::GoalUpdated {
                title,
                target_value,
                current_value,
                min_value,
                max_value,
                unit,
                updated_at,
                ..
            } => current.map(|(uid, mut goal)| {
                if let Some(title) = title {
                    goal.title = title.clone();
                }
                goal.target_value = target_value.unwrap_or(goal.target_value);
                goal.current_value = current_value.unwrap_or(goal.current_value);
                goal.min_value = min_value.unwrap_or(goal.min_value);
                goal.max_value = max_value.unwrap_or(goal.max_value);
                unit.clone().apply_to(&mut goal.unit);
                goal.updated_at = *updated_at;
                (uid, goal)
            }),
            GoalsEvent::GoalProgressRecorded {
                value, recorded_at, ..
            } => current.map(|(uid, goal)| {
                (
                    uid,
                    GoalView {
                        current_value: *value,
                        updated_at: *recorded_at,
                        ..goal
                    },
                )
            }),
            GoalsEvent::GoalDeleted { .. } => None,
        }
    }
}

impl GoalProgress {
    /// The owner and history after `event`: a goal's row starts with its creation (no entry yet), gains an
    /// entry per progress value, and is gone with the goal.
    pub(crate) fn evolve(
        current: Option<(String, GoalProgress)>,
        event: &GoalsEvent,
    ) -> Option<(String, GoalProgress)> {
        match event {
            GoalsEvent::GoalCreated { uid, .. } => Some((uid.clone(), GoalProgress::default())),
            GoalsEvent::GoalProgressRecorded {
                value, recorded_at, ..
            } => current.map(|(uid, mut progress)| {
                progress.entries.push(ProgressEntry {
                    date: recorded_at.date_naive().to_string(),
                    value: *value,
                    recorded_at: *recorded_at,
                });
                (uid, progress)
            }),
            GoalsEvent::GoalDeleted { .. } => None,
            GoalsEvent::GoalDeactivated { .. } | GoalsEvent::GoalUpdated { .. } => current,
        }
    }
}
