//! The rules of a wrapped, one test each.

use chrono::{Duration, TimeZone, Utc};
use cqrs_es::test::TestFramework;

use super::*;
use crate::wrapped::{
    DecisionStyle, LifeEvent, MemorableDays, Obsessions, WrappedResult, DECISION_STYLES,
};

fn at(minutes: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2025, 12, 20, 10, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn request(minutes: i64) -> WrappedCommand {
    WrappedCommand::RequestWrapped {
        uid: "u1".into(),
        year: 2025,
        as_of: at(minutes),
    }
}

fn requested(run: u32, minutes: i64) -> WrappedEvent {
    WrappedEvent::WrappedRequested {
        uid: "u1".into(),
        year: 2025,
        run,
        as_of: at(minutes),
    }
}

fn result() -> Box<WrappedResult> {
    let (name, description) = DECISION_STYLES[0];
    let event = LifeEvent {
        title: "t".into(),
        description: "d".into(),
    };
    Box::new(WrappedResult {
        total_conversations: 1,
        days_active: 1,
        total_time_hours: 0.1,
        top_categories: vec!["work".into()],
        category_breakdown: vec![],
        total_action_items: 0,
        completed_action_items: 0,
        action_items_completion_rate: 0.0,
        signature_phrase: None,
        decision_style: DecisionStyle {
            name: name.into(),
            description: description.into(),
        },
        top_phrases: vec![],
        memorable_days: MemorableDays {
            most_fun_day: None,
            most_productive_day: None,
            most_stressful_day: None,
        },
        funniest_event: None,
        most_embarrassing_event: None,
        top_buddies: vec![],
        obsessions: Obsessions::default(),
        movie_recommendations: vec![],
        struggle: event.clone(),
        personal_win: event,
    })
}

fn completed(run: u32) -> WrappedEvent {
    WrappedEvent::WrappedCompleted {
        run,
        result: result(),
        at: at(1),
    }
}

#[test]
fn a_wrapped_never_generated_starts_its_first_run() {
    TestFramework::<Wrapped>::with(())
        .given_no_previous_events()
        .when(request(0))
        .then_expect_events(vec![requested(1, 0)]);
}

#[test]
fn a_generated_wrapped_is_not_generated_again() {
    TestFramework::<Wrapped>::with(())
        .given(vec![requested(1, 0), completed(1)])
        .when(request(60))
        .then_expect_events(vec![]);
}

#[test]
fn a_run_in_progress_is_not_started_twice() {
    TestFramework::<Wrapped>::with(())
        .given(vec![requested(1, 0)])
        .when(request(14))
        .then_expect_events(vec![]);
}

#[test]
fn a_run_without_progress_for_fifteen_minutes_is_started_over() {
    TestFramework::<Wrapped>::with(())
        .given(vec![requested(1, 0)])
        .when(request(15))
        .then_expect_events(vec![requested(2, 15)]);
    let progressed = WrappedEvent::WrappedProgressed {
        run: 1,
        step: "Counting".into(),
        pct: 0.4,
        at: at(10),
    };
    TestFramework::<Wrapped>::with(())
        .given(vec![requested(1, 0), progressed])
        .when(request(20))
        .then_expect_events(vec![]);
}

#[test]
fn a_failed_wrapped_is_started_again() {
    TestFramework::<Wrapped>::with(())
        .given(vec![
            requested(1, 0),
            WrappedEvent::WrappedFailed {
                run: 1,
                error: "model down".into(),
                at: at(1),
            },
        ])
        .when(request(2))
        .then_expect_events(vec![requested(2, 2)]);
}

#[test]
fn only_the_current_run_records_progress_and_results() {
    TestFramework::<Wrapped>::with(())
        .given(vec![requested(1, 0), requested(2, 20)])
        .when(WrappedCommand::CompleteWrapped {
            run: 1,
            result: result(),
            at: at(21),
        })
        .then_expect_events(vec![]);
    TestFramework::<Wrapped>::with(())
        .given(vec![requested(1, 0), completed(1)])
        .when(WrappedCommand::FailWrapped {
            run: 1,
            error: "late".into(),
            at: at(2),
        })
        .then_expect_events(vec![]);
    TestFramework::<Wrapped>::with(())
        .given(vec![requested(1, 0)])
        .when(WrappedCommand::CompleteWrapped {
            run: 1,
            result: result(),
            at: at(1),
        })
        .then_expect_events(vec![completed(1)]);
}

#[test]
fn progress_is_a_fraction() {
    TestFramework::<Wrapped>::with(())
        .given(vec![requested(1, 0)])
        .when(WrappedCommand::RecordProgress {
            run: 1,
            step: "Counting".into(),
            pct: 1.5,
            at: at(1),
        })
        .then_expect_error(DomainError::Invalid(
            "Progress must be between 0 and 1".into(),
        ));
}
