//! A user's goals (spec §2.10, §7.14): the `goals` read model (one row per goal, active or not) and the
//! `goal_progress` read model (one row per goal with every progress value recorded). Both fold the user's goals
//! stream, whose events each name their goal, so their rows are keyed by goal id rather than by stream id.

mod projection;
mod queries;
mod view;

pub use projection::{GoalProgressProjection, GoalsProjection};
pub use queries::{goal, goals, progress_since};
pub use view::{GoalView, ProgressEntry};
