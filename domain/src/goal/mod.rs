//! Goals (spec §2.10): what the user wants to reach, measured on a scale, as a number or as done/not done, with
//! a history of the progress recorded. Every goal of a user lives on one stream, the user's goals stream (its id
//! is the user id), so the baseline rule "at most 3 active goals; creating a 4th deactivates the oldest" is
//! decided in one place, against every goal the user has.

mod aggregate;
mod commands;
mod events;
mod values;

pub use aggregate::{Goals, MAX_ACTIVE};
pub use commands::{GoalChanges, GoalsCommand, NewGoal};
pub use events::GoalsEvent;
pub use values::{is_goal_id, new_goal_id, GoalType, MAX_TITLE, MAX_UNIT};
