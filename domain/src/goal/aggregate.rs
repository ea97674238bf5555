//! The goals aggregate: decides which commands on a user's goals stand and what they record.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{GoalChanges, GoalsCommand, GoalsEvent, NewGoal, MAX_TITLE, MAX_UNIT};
use crate::storable::is_storable;
use crate::{DomainError, Patch, Timestamp};

/// The most goals a user has active at once (spec §2.10 baseline rule).
pub const MAX_ACTIVE: usize = 3;

/// Every goal of one user that is not deleted, oldest first.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Goals {
    goals: Vec<Goal>,
}

/// What a goal needs to decide on commands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Goal {
    id: String,
    active: bool,
    title: String,
    target_value: f64,
    current_value: f64,
    min_value: f64,
    max_value: f64,
    unit: Option<String>,
}

impl Goals {
    fn find(&self, goal_id: &str) -> Result<&Goal, DomainError> {
        self.goals
            .iter()
            .find(|goal| goal.id == goal_id)
            .ok_or(DomainError::NotFound("Goal"))
    }

    fn find_mut(&mut self, goal_id: &str) -> Option<&mut Goal> {
        self.goals.iter_mut().find(|goal| goal.id == goal_id)
    }
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

/// The title trimmed: 1 to [`MAX_TITLE`] characters, storable.
fn title(title: &str) -> Result<String, DomainError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(invalid("Goal title cannot be empty"));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(invalid(format!(
            "Goal title must be at most {MAX_TITLE} characters"
        )));
    }
    if !is_storable(title) {
        return Err(invalid("Goal title must not contain the NUL character"));
    }
    Ok(title.to_string())
}

/// The unit trimmed (a blank one is no unit): at most [`MAX_UNIT`] characters, storable.
fn unit(unit: Option<String>) -> Result<Option<String>, DomainError> {
    let Some(unit) = unit.map(|u| u.trim().to_string()).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    if unit.chars().count() > MAX_UNIT {
        return Err(invalid(format!(
            "Goal unit must be at most {MAX_UNIT} characters"
        )));
    }
    if !is_storable(&unit) {
        return Err(invalid("Goal unit must not contain the NUL character"));
    }
    Ok(Some(unit))
}

/// A value must be a finite number (JSON has no NaN or infinity; a query parameter can spell them).
fn finite(name: &str, value: f64) -> Result<f64, DomainError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(invalid(format!("{name} must be a finite number")))
    }
}

/// The bounds of the scale must not be reversed. Target and current values may lie outside them: a numeric
/// goal created with the default 0–10 bounds may aim at 10,000 steps, and progress may overshoot.
fn bounds(min_value: f64, max_value: f64) -> Result<(), DomainError> {
    if min_value > max_value {
        return Err(invalid("min_value must not be greater than max_value"));
    }
    Ok(())
}

fn checked(goal: NewGoal) -> Result<NewGoal, DomainError> {
    let checked = NewGoal {
        title: title(&goal.title)?,
        goal_type: goal.goal_type,
        target_value: finite("target_value", goal.target_value)?,
        current_value: finite("current_value", goal.current_value)?,
        min_value: finite("min_value", goal.min_value)?,
        max_value: finite("max_value", goal.max_value)?,
        unit: unit(goal.unit)?,
    };
    bounds(checked.min_value, checked.max_value)?;
    Ok(checked)
}

/// `value` when it is given and differs from `current`.
fn changed_number(
    name: &str,
    value: Option<f64>,
    current: f64,
) -> Result<Option<f64>, DomainError> {
    match value {
        Some(value) => Ok((finite(name, value)? != current).then_some(value)),
        None => Ok(None),
    }
}

/// The event recording what `changes` would change of `goal`, or `None` when nothing would.
fn edit(
    goal: &Goal,
    changes: GoalChanges,
    at: Timestamp,
) -> Result<Option<GoalsEvent>, DomainError> {
    let new_title = changes.title.map(|t| title(&t)).transpose()?;
    let new_unit = match changes.unit {
        Patch::Keep => Patch::Keep,
        Patch::Clear => Patch::Clear,
        Patch::Set(value) => match unit(Some(value))? {
            Some(value) => Patch::Set(value),
            None => Patch::Clear,
        },
    };
    let target_value = changed_number("target_value", changes.target_value, goal.target_value)?;
    let current_value = changed_number("current_value", changes.current_value, goal.current_value)?;
    let min_value = changed_number("min_value", changes.min_value, goal.min_value)?;
    let max_value = changed_number("max_value", changes.max_value, goal.max_value)?;
    bounds(
        min_value.unwrap_or(goal.min_value),
        max_value.unwrap_or(goal.max_value),
    )?;
    let title = new_title.filter(|t| *t != goal.title);
    let unit = match new_unit {
        Patch::Set(value) if goal.unit.as_ref() == Some(&value) => Patch::Keep,
        Patch::Clear if goal.unit.is_none() => Patch::Keep,
        patch => patch,
    };
    let unchanged = title.is_none()
        && target_value.is_none()
        && current_value.is_none()
        && min_value.is_none()
        && max_value.is_none()
        && unit.is_keep();
    Ok((!unchanged).then(|| GoalsEvent::GoalUpdated {
        goal_id: goal.id.clone(),
        title,
        target_value,
        current_value,
        min_value,
        max_value,
        unit,
        updated_at: at,
    }))
}

impl Aggregate for Goals {
    const TYPE: &'static str = "Goals";
    type Command = GoalsCommand;
    type Event = GoalsEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: GoalsCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        let events = match command {
            GoalsCommand::CreateGoal {
                uid,
                goal_id,
                goal,
                at,
            } => {
                let goal = checked(goal)?;
                if self.find(&goal_id).is_ok() {
                    return Err(DomainError::Conflict("Goal already exists".into()));
                }
                let active: Vec<&Goal> = self.goals.iter().filter(|g| g.active).collect();
                let mut events = Vec::new();
                if active.len() >= MAX_ACTIVE {
                    // The stream keeps goals oldest first, so the first active one is the oldest.
                    events.extend(active.iter().take(active.len() + 1 - MAX_ACTIVE).map(
                        |oldest| GoalsEvent::GoalDeactivated {
                            goal_id: oldest.id.clone(),
                            deactivated_at: at,
                        },
                    ));
                }
                events.push(GoalsEvent::GoalCreated {
                    uid,
                    goal_id,
                    title: goal.title,
                    goal_type: goal.goal_type,
                    target_value: goal.target_value,
                    current_value: goal.current_value,
                    min_value: goal.min_value,
                    max_value: goal.max_value,
                    unit: goal.unit,
                    created_at: at,
                });
                events
            }
            GoalsCommand::EditGoal {
                goal_id,
                changes,
                at,
                ..
            } => edit(self.find(&goal_id)?, changes, at)?
                .into_iter()
                .collect(),
            GoalsCommand::RecordGoalProgress {
                goal_id, value, at, ..
            } => {
                self.find(&goal_id)?;
                vec![GoalsEvent::GoalProgressRecorded {
                    goal_id,
                    value: finite("current_value", value)?,
                    recorded_at: at,
                }]
            }
            GoalsCommand::DeleteGoal { goal_id, at, .. } => {
                self.find(&goal_id)?;
                vec![GoalsEvent::GoalDeleted {
                    goal_id,
                    deleted_at: at,
                }]
            }
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: GoalsEvent) {
        match event {
            GoalsEvent::GoalCreated {
                goal_id,
                title,
                target_value,
                current_value,
                min_value,
                max_value,
                unit,
                ..
            } => self.goals.push(Goal {
                id: goal_id,
                active: true,
                title,
                target_value,
                current_value,
                min_value,
                max_value,
                unit,
            }),
            GoalsEvent::GoalDeactivated { goal_id, .. } => {
                if let Some(goal) = self.find_mut(&goal_id) {
                    goal.active = false;
                }
            }
            GoalsEvent::GoalUpdated {
                goal_id,
                title,
                target_value,
                current_value,
                min_value,
                max_value,
                unit,
                ..
            } => {
                if let Some(goal) = self.find_mut(&goal_id) {
                    goal.title = title.unwrap_or(std::mem::take(&mut goal.title));
                    goal.target_value = target_value.unwrap_or(goal.target_value);
                    goal.current_value = current_value.unwrap_or(goal.current_value);
                    goal.min_value = min_value.unwrap_or(goal.min_value);
                    goal.max_value = max_value.unwrap_or(goal.max_value);
                    unit.apply_to(&mut goal.unit);
                }
            }
            GoalsEvent::GoalProgressRecorded { goal_id, value, .. } => {
                if let Some(goal) = self.find_mut(&goal_id) {
                    goal.current_value = value;
                }
            }
            GoalsEvent::GoalDeleted { goal_id, .. } => self.goals.retain(|g| g.id != goal_id),
        }
    }
}

#[cfg(test)]
mod tests;
