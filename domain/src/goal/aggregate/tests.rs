//! Given/when/then tests of the goals aggregate, one per rule.

use chrono::{TimeZone, Utc};
use cqrs_es::test::TestFramework;

use super::*;
use crate::goal::GoalType;

type Given = TestFramework<Goals>;

fn at(seconds: i64) -> Timestamp {
    Utc.timestamp_opt(1_764_000_000 + seconds, 0).unwrap()
}

fn goal(title: &str) -> NewGoal {
    NewGoal {
        title: title.into(),
        goal_type: GoalType::Numeric,
        target_value: 100.0,
        current_value: 0.0,
        min_value: 0.0,
        max_value: 100.0,
        unit: Some("users".into()),
    }
}

fn create(id: &str, title: &str, seconds: i64) -> GoalsCommand {
    GoalsCommand::CreateGoal {
        uid: "u1".into(),
        goal_id: id.into(),
        goal: goal(title),
        at: at(seconds),
    }
}

fn created(id: &str, title: &str, seconds: i64) -> GoalsEvent {
    GoalsEvent::GoalCreated {
        uid: "u1".into(),
        goal_id: id.into(),
        title: title.into(),
        goal_type: GoalType::Numeric,
        target_value: 100.0,
        current_value: 0.0,
        min_value: 0.0,
        max_value: 100.0,
        unit: Some("users".into()),
        created_at: at(seconds),
    }
}

fn edit(id: &str, changes: GoalChanges) -> GoalsCommand {
    GoalsCommand::EditGoal {
        uid: "u1".into(),
        goal_id: id.into(),
        changes,
        at: at(50),
    }
}

fn updated(id: &str) -> GoalsEvent {
    GoalsEvent::GoalUpdated {
        goal_id: id.into(),
        title: None,
        target_value: None,
        current_value: None,
        min_value: None,
        max_value: None,
        unit: Patch::Keep,
        updated_at: at(50),
    }
}

#[test]
fn a_goal_is_created_active_with_a_trimmed_title() {
    Given::with(())
        .given_no_previous_events()
        .when(create("goal_a", "  Reach 100 users ", 0))
        .then_expect_events(vec![created("goal_a", "Reach 100 users", 0)]);
}

#[test]
fn creating_a_fourth_active_goal_deactivates_the_oldest() {
    Given::with(())
        .given(vec![
            created("goal_a", "A", 0),
            created("goal_b", "B", 1),
            created("goal_c", "C", 2),
        ])
        .when(create("goal_d", "D", 3))
        .then_expect_events(vec![
            GoalsEvent::GoalDeactivated {
                goal_id: "goal_a".into(),
                deactivated_at: at(3),
            },
            created("goal_d", "D", 3),
        ]);
}

#[test]
fn a_deleted_or_inactive_goal_does_not_count_towards_the_three() {
    Given::with(())
        .given(vec![
            created("goal_a", "A", 0),
            created("goal_b", "B", 1),
            created("goal_c", "C", 2),
            GoalsEvent::GoalDeleted {
                goal_id: "goal_b".into(),
                deleted_at: at(3),
            },
        ])
        .when(create("goal_d", "D", 4))
        .then_expect_events(vec![created("goal_d", "D", 4)]);
    Given::with(())
        .given(vec![
            created("goal_a", "A", 0),
            created("goal_b", "B", 1),
            created("goal_c", "C", 2),
            GoalsEvent::GoalDeactivated {
                goal_id: "goal_a".into(),
                deactivated_at: at(3),
            },
            created("goal_d", "D", 3),
        ])
        .when(create("goal_e", "E", 4))
        .then_expect_events(vec![
            GoalsEvent::GoalDeactivated {
                goal_id: "goal_b".into(),
                deactivated_at: at(4),
            },
            created("goal_e", "E", 4),
        ]);
}

#[test]
fn a_blank_or_too_long_title_is_refused() {
    Given::with(())
        .given_no_previous_events()
        .when(create("goal_a", "   ", 0))
        .then_expect_error(DomainError::Invalid("Goal title cannot be empty".into()));
    Given::with(())
        .given_no_previous_events()
        .when(create("goal_a", &"é".repeat(501), 0))
        .then_expect_error(DomainError::Invalid(
            "Goal title must be at most 500 characters".into(),
        ));
}

#[test]
fn values_must_be_finite_and_bounds_in_order() {
    let mut nan = goal("A");
    nan.target_value = f64::NAN;
    Given::with(())
        .given_no_previous_events()
        .when(GoalsCommand::CreateGoal {
            uid: "u1".into(),
            goal_id: "goal_a".into(),
            goal: nan,
            at: at(0),
        })
        .then_expect_error(DomainError::Invalid(
            "target_value must be a finite number".into(),
        ));
    let mut reversed = goal("A");
    reversed.min_value = 11.0;
    reversed.max_value = 10.0;
    Given::with(())
        .given_no_previous_events()
        .when(GoalsCommand::CreateGoal {
            uid: "u1".into(),
            goal_id: "goal_a".into(),
            goal: reversed,
            at: at(0),
        })
        .then_expect_error(DomainError::Invalid(
            "min_value must not be greater than max_value".into(),
        ));
}

#[test]
fn an_edit_that_would_reverse_the_bounds_is_refused() {
    Given::with(())
        .given(vec![created("goal_a", "A", 0)])
        .when(edit(
            "goal_a",
            GoalChanges {
                min_value: Some(101.0),
                ..GoalChanges::default()
            },
        ))
        .then_expect_error(DomainError::Invalid(
            "min_value must not be greater than max_value".into(),
        ));
}

#[test]
fn an_edit_records_only_what_changed() {
    let mut expected = updated("goal_a");
    if let GoalsEvent::GoalUpdated {
        title,
        target_value,
        unit,
        ..
    } = &mut expected
    {
        *title = Some("B".into());
        *target_value = Some(50.0);
        *unit = Patch::Clear;
    }
    Given::with(())
        .given(vec![created("goal_a", "A", 0)])
        .when(edit(
            "goal_a",
            GoalChanges {
                title: Some(" B ".into()),
                target_value: Some(50.0),
                current_value: Some(0.0),
                min_value: None,
                max_value: Some(100.0),
                unit: Patch::Set("  ".into()),
            },
        ))
        .then_expect_events(vec![expected]);
}

#[test]
fn an_edit_that_changes_nothing_records_nothing() {
    Given::with(())
        .given(vec![created("goal_a", "A", 0)])
        .when(edit(
            "goal_a",
            GoalChanges {
                title: Some("A".into()),
                unit: Patch::Set("users".into()),
                ..GoalChanges::default()
            },
        ))
        .then_expect_events(vec![]);
}

#[test]
fn progress_is_recorded_each_time_even_when_the_value_repeats() {
    let recorded = GoalsEvent::GoalProgressRecorded {
        goal_id: "goal_a".into(),
        value: 7.5,
        recorded_at: at(9),
    };
    Given::with(())
        .given(vec![created("goal_a", "A", 0), recorded.clone()])
        .when(GoalsCommand::RecordGoalProgress {
            uid: "u1".into(),
            goal_id: "goal_a".into(),
            value: 7.5,
            at: at(9),
        })
        .then_expect_events(vec![recorded]);
}

#[test]
fn progress_must_be_finite() {
    Given::with(())
        .given(vec![created("goal_a", "A", 0)])
        .when(GoalsCommand::RecordGoalProgress {
            uid: "u1".into(),
            goal_id: "goal_a".into(),
            value: f64::INFINITY,
            at: at(9),
        })
        .then_expect_error(DomainError::Invalid(
            "current_value must be a finite number".into(),
        ));
}

#[test]
fn an_unknown_or_deleted_goal_is_not_found() {
    Given::with(())
        .given(vec![
            created("goal_a", "A", 0),
            GoalsEvent::GoalDeleted {
                goal_id: "goal_a".into(),
                deleted_at: at(1),
            },
        ])
        .when(GoalsCommand::DeleteGoal {
            uid: "u1".into(),
            goal_id: "goal_a".into(),
            at: at(2),
        })
        .then_expect_error(DomainError::NotFound("Goal"));
    Given::with(())
        .given(vec![created("goal_a", "A", 0)])
        .when(edit("goal_b", GoalChanges::default()))
        .then_expect_error(DomainError::NotFound("Goal"));
}

#[test]
fn the_same_goal_id_cannot_be_created_twice() {
    Given::with(())
        .given(vec![created("goal_a", "A", 0)])
        .when(create("goal_a", "A", 1))
        .then_expect_error(DomainError::Conflict("Goal already exists".into()));
}
