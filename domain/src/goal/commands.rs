//! What can be asked of a user's goals.

use serde::{Deserialize, Serialize};

use super::GoalType;
use crate::{Patch, Timestamp};

/// A goal as it is created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewGoal {
    pub title: String,
    pub goal_type: GoalType,
    pub target_value: f64,
    pub current_value: f64,
    pub min_value: f64,
    pub max_value: f64,
    pub unit: Option<String>,
}

/// The fields an edit may change; `None` (and [`Patch::Keep`]) leave a field alone, [`Patch::Clear`] removes the
/// unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GoalChanges {
    pub title: Option<String>,
    pub target_value: Option<f64>,
    pub current_value: Option<f64>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub unit: Patch<String>,
}

/// A command to one user's goals stream (the stream id is the user id). Each names the user asking and the goal
/// it is about; the goal id of a new goal is chosen by the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GoalsCommand {
    /// Creates an active goal; when the user already has [`super::MAX_ACTIVE`] active goals, the oldest of them
    /// is deactivated first.
    CreateGoal {
        uid: String,
        goal_id: String,
        goal: NewGoal,
        at: Timestamp,
    },
    /// Changes any of the editable fields; unchanged fields are not recorded. A current value set here is not
    /// an entry of the progress history: progress is recorded by [`GoalsCommand::RecordGoalProgress`].
    EditGoal {
        uid: String,
        goal_id: String,
        changes: GoalChanges,
        at: Timestamp,
    },
    /// Records a progress value: the goal's current value from now on, and an entry of its history.
    RecordGoalProgress {
        uid: String,
        goal_id: String,
        value: f64,
        at: Timestamp,
    },
    /// Deletes the goal and its history from the read models; the log keeps them.
    DeleteGoal {
        uid: String,
        goal_id: String,
        at: Timestamp,
    },
}
