//! Goals (spec §2.10, §7.14, §7.4): what every door may ask of a user's goals — create (at most 3 active; the
//! aggregate deactivates the oldest), edit, record progress, delete, read the current goal, the list and a
//! goal's history — with the limits each door has in the spec. Suggestions, advice and progress read from a
//! text live in [`intelligence`].

pub mod intelligence;

use chrono::Duration;
use omi_domain::goal::{
    is_goal_id, new_goal_id, GoalChanges, GoalType, Goals, GoalsCommand, NewGoal, MAX_TITLE,
    MAX_UNIT,
};
use omi_domain::Patch;
use omi_projections::goals::{self, GoalView, ProgressEntry};
use schemars::JsonSchema;
use serde::Deserialize;

use super::validation::{check_length, Problems};
use super::{Caller, PageRule};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The new progress value of `PATCH …/goals/{id}/progress`: a query parameter on every door (a JSON body alone is
/// refused).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProgressQuery {
    pub current_value: f64,
}

/// How many days of a goal's history `GET …/goals/{id}/history` reads (30 by default, at most 365).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct HistoryQuery {
    pub days: Option<i64>,
}
use crate::time_input::now;

/// How a door answers an update that names no field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyUpdate {
    /// 400 "No updates provided" (the app's `PATCH /v1/goals/{id}`).
    BadRequest,
    /// 422 (the developer API's `PATCH /v1/dev/user/goals/{id}`).
    Unprocessable,
}

/// A door's rules for goals, from the spec.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub empty_update: EmptyUpdate,
}

/// The app's routes (`/v1/goals`, spec §7.14).
pub const APP: Rules = Rules {
    empty_update: EmptyUpdate::BadRequest,
};
/// `/v1/dev/user/goals` (spec §7.4).
pub const DEVELOPER: Rules = Rules {
    empty_update: EmptyUpdate::Unprocessable,
};

/// The developer API's list (`limit` 10) and MCP's `get_goals`.
pub const LIST_PAGE: PageRule = PageRule::new(10, 100);
/// The most active goals a user has (the app's `/v1/goals/all` shows them all).
const ACTIVE_LIST: i64 = omi_domain::goal::MAX_ACTIVE as i64;

/// The history window's default and largest number of days (`?days=30`, at most 365).
pub const HISTORY_DAYS: i64 = 30;
pub const MAX_HISTORY_DAYS: i64 = 365;

/// A goal as clients create it (`GoalCreate`).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct GoalCreate {
    /// 1–500 characters.
    pub title: String,
    #[serde(default)]
    pub goal_type: GoalType,
    pub target_value: f64,
    #[serde(default)]
    pub current_value: f64,
    #[serde(default)]
    pub min_value: f64,
    #[serde(default = "default_max")]
    pub max_value: f64,
    /// At most 50 characters; blank means none.
    #[serde(default)]
    pub unit: Option<String>,
}

fn default_max() -> f64 {
    10.0
}

/// A partial update (`GoalUpdate`): absent fields are left alone; a `null` unit removes it.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct GoalUpdate {
    pub title: Option<String>,
    pub target_value: Option<f64>,
    pub current_value: Option<f64>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    #[serde(default)]
    pub unit: Patch<String>,
}

impl GoalUpdate {
    fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.target_value.is_none()
            && self.current_value.is_none()
            && self.min_value.is_none()
            && self.max_value.is_none()
            && self.unit.is_keep()
    }
}

fn check_title(problems: &mut Problems, title: &str) {
    if title.trim().is_empty() {
        problems.add("body.title", "Goal title cannot be empty");
    } else {
        check_length(problems, "body.title", "title", title, MAX_TITLE);
    }
}

fn check_unit(problems: &mut Problems, unit: Option<&str>) {
    if let Some(unit) = unit {
        check_length(problems, "body.unit", "unit", unit, MAX_UNIT);
    }
}

fn check_number(problems: &mut Problems, loc: &str, value: Option<f64>) {
    if value.is_some_and(|value| !value.is_finite()) {
        problems.add(loc, "must be a finite number");
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("Goal not found".into())
}

/// Creates a goal for the caller (deactivating their oldest active goal when they have 3) and answers it as
/// stored.
pub async fn create(state: &AppState, caller: &Caller, input: GoalCreate) -> ApiResult<GoalView> {
    let mut problems = Problems::new();
    check_title(&mut problems, &input.title);
    check_unit(&mut problems, input.unit.as_deref());
    for (loc, value) in [
        ("body.target_value", input.target_value),
        ("body.current_value", input.current_value),
        ("body.min_value", input.min_value),
        ("body.max_value", input.max_value),
    ] {
        check_number(&mut problems, loc, Some(value));
    }
    if input.min_value > input.max_value {
        problems.add(
            "body.min_value",
            "min_value must not be greater than max_value",
        );
    }
    problems.finish()?;
    let goal_id = new_goal_id();
    let command = GoalsCommand::CreateGoal {
        uid: caller.uid.clone(),
        goal_id: goal_id.clone(),
        goal: NewGoal {
            title: input.title,
            goal_type: input.goal_type,
            target_value: input.target_value,
            current_value: input.current_value,
            min_value: input.min_value,
            max_value: input.max_value,
            unit: input.unit,
        },
        at: now(),
    };
    state
        .execute::<Goals>(&caller.uid, command, &caller.metadata)
        .await?;
    read(state, &caller.uid, &goal_id).await
}

/// The user's goal, active or not, or 404.
pub async fn read(state: &AppState, uid: &str, id: &str) -> ApiResult<GoalView> {
    if !is_goal_id(id) {
        return Err(not_found());
    }
    goals::goal(&state.database, uid, id)
        .await?
        .ok_or_else(not_found)
}

/// The user's current goal: the newest active one, if any.
pub async fn current(state: &AppState, uid: &str) -> ApiResult<Option<GoalView>> {
    Ok(goals::goals(&state.database, uid, false, 1)
        .await?
        .into_iter()
        .next())
}

/// The user's active goals (at most 3), newest first.
pub async fn active(state: &AppState, uid: &str) -> ApiResult<Vec<GoalView>> {
    Ok(goals::goals(&state.database, uid, false, ACTIVE_LIST).await?)
}

/// Up to `limit` of the user's goals, newest first; inactive ones too when `include_inactive`.
pub async fn list(
    state: &AppState,
    uid: &str,
    include_inactive: bool,
    limit: Option<i64>,
) -> ApiResult<Vec<GoalView>> {
    let page = LIST_PAGE.page(limit, None)?;
    Ok(goals::goals(&state.database, uid, include_inactive, page.limit).await?)
}

/// Applies a partial update to the user's goal and answers it as stored; an update that names no field is
/// refused as the door's rules say.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    update: GoalUpdate,
    rules: &Rules,
) -> ApiResult<GoalView> {
    if update.is_empty() {
        return Err(match rules.empty_update {
            EmptyUpdate::BadRequest => ApiError::BadRequest("No updates provided".into()),
            EmptyUpdate::Unprocessable => ApiError::invalid(
                "body",
                "at least one of title, target_value, current_value, min_value, max_value, unit is required",
            ),
        });
    }
    let mut problems = Problems::new();
    if let Some(title) = &update.title {
        check_title(&mut problems, title);
    }
    if let Patch::Set(unit) = &update.unit {
        check_unit(&mut problems, Some(unit));
    }
    check_number(&mut problems, "body.target_value", update.target_value);
    check_number(&mut problems, "body.current_value", update.current_value);
    check_number(&mut problems, "body.min_value", update.min_value);
    check_number(&mut problems, "body.max_value", update.max_value);
    problems.finish()?;
    read(state, &caller.uid, id).await?;
    let command = GoalsCommand::EditGoal {
        uid: caller.uid.clone(),
        goal_id: id.to_string(),
        changes: GoalChanges {
            title: update.title,
            target_value: update.target_value,
            current_value: update.current_value,
            min_value: update.min_value,
            max_value: update.max_value,
            unit: update.unit,
        },
        at: now(),
    };
    state
        .execute::<Goals>(&caller.uid, command, &caller.metadata)
        .await?;
    read(state, &caller.uid, id).await
}

/// Records a progress value of the user's goal (its current value and an entry of its history) and answers
/// the goal as stored; `loc` names where the value came from (`query.current_value`).
pub async fn record_progress(
    state: &AppState,
    caller: &Caller,
    id: &str,
    value: f64,
    loc: &str,
) -> ApiResult<GoalView> {
    if !value.is_finite() {
        return Err(ApiError::invalid(loc, "must be a finite number"));
    }
    read(state, &caller.uid, id).await?;
    let command = GoalsCommand::RecordGoalProgress {
        uid: caller.uid.clone(),
        goal_id: id.to_string(),
        value,
        at: now(),
    };
    state
        .execute::<Goals>(&caller.uid, command, &caller.metadata)
        .await?;
    read(state, &caller.uid, id).await
}

/// The progress values of the user's goal recorded in the last `days` days (30 by default, 1 to 365), oldest
/// first; 404 for a goal that is not theirs.
pub async fn history(
    state: &AppState,
    uid: &str,
    id: &str,
    days: Option<i64>,
) -> ApiResult<Vec<ProgressEntry>> {
    let days = days.unwrap_or(HISTORY_DAYS);
    if !(1..=MAX_HISTORY_DAYS).contains(&days) {
        return Err(ApiError::invalid(
            "query.days",
            format!("days must be between 1 and {MAX_HISTORY_DAYS}"),
        ));
    }
    if !is_goal_id(id) {
        return Err(not_found());
    }
    let since = now() - Duration::days(days);
    goals::progress_since(&state.database, uid, id, since)
        .await?
        .ok_or_else(not_found)
}

/// Deletes the user's goal (its history stays in the log).
pub async fn delete(state: &AppState, caller: &Caller, id: &str) -> ApiResult<()> {
    if !is_goal_id(id) {
        return Err(not_found());
    }
    let command = GoalsCommand::DeleteGoal {
        uid: caller.uid.clone(),
        goal_id: id.to_string(),
        at: now(),
    };
    state
        .execute::<Goals>(&caller.uid, command, &caller.metadata)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_without_a_field_is_empty_and_a_null_unit_is_not() {
        assert!(GoalUpdate::default().is_empty());
        let clear: GoalUpdate = serde_json::from_str(r#"{"unit": null}"#).unwrap();
        assert!(!clear.is_empty());
    }

    #[test]
    fn a_created_goal_takes_the_spec_defaults() {
        let goal: GoalCreate =
            serde_json::from_str(r#"{"title": "Run", "target_value": 5}"#).unwrap();
        assert_eq!(goal.goal_type, GoalType::Scale);
        assert_eq!(
            (goal.current_value, goal.min_value, goal.max_value),
            (0.0, 0.0, 10.0)
        );
        assert_eq!(goal.unit, None);
    }

    #[test]
    fn problems_are_reported_at_their_fields() {
        let mut problems = Problems::new();
        check_title(&mut problems, " ");
        check_unit(&mut problems, Some(&"u".repeat(51)));
        check_number(&mut problems, "body.max_value", Some(f64::INFINITY));
        let Err(ApiError::Validation(found)) = problems.finish() else {
            panic!("expected a validation error");
        };
        let places: Vec<String> = found.iter().map(|p| p.loc.join(".")).collect();
        assert_eq!(places, ["body.title", "body.unit", "body.max_value"]);
    }
}
