//! The wrapped as the API returns it, and how each event changes it.

use omi_domain::wrapped::{WrappedEvent, WrappedResult, WrappedStatus};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A wrapped: `result` once done, `error` after a failure, `progress` while a generation runs and has reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WrappedView {
    pub status: WrappedStatus,
    pub year: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<WrappedResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<WrappedProgress>,
}

/// How far a running generation has come.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WrappedProgress {
    pub step: String,
    /// 0 to 1.
    pub pct: f64,
}

impl WrappedView {
    /// A wrapped nobody asked for yet.
    pub fn not_generated(year: i32) -> Self {
        WrappedView {
            status: WrappedStatus::NotGenerated,
            year,
            result: None,
            error: None,
            progress: None,
        }
    }

    /// The owner and view after `event`. `current` is the view before it.
    pub(crate) fn evolve(
        current: Option<(String, WrappedView)>,
        event: &WrappedEvent,
    ) -> Option<(String, WrappedView)> {
        match event {
            WrappedEvent::WrappedRequested { uid, year, .. } => Some((
                uid.clone(),
                WrappedView {
                    status: WrappedStatus::Processing,
                    ..WrappedView::not_generated(*year)
                },
            )),
            WrappedEvent::WrappedProgressed { step, pct, .. } => current.map(|(uid, mut view)| {
                view.progress = Some(WrappedProgress {
                    step: step.clone(),
                    pct: *pct,
                });
                (uid, view)
            }),
            WrappedEvent::WrappedCompleted { result, .. } => current.map(|(uid, mut view)| {
                view.status = WrappedStatus::Done;
                view.result = Some((**result).clone());
                view.progress = None;
                (uid, view)
            }),
            WrappedEvent::WrappedFailed { error, .. } => current.map(|(uid, mut view)| {
                view.status = WrappedStatus::Error;
                view.error = Some(error.clone());
                view.progress = None;
                (uid, view)
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use omi_domain::wrapped::{DecisionStyle, LifeEvent, MemorableDays, Obsessions, WrappedResult};

    use super::*;

    fn run(events: &[WrappedEvent]) -> Option<(String, WrappedView)> {
        events.iter().fold(None, WrappedView::evolve)
    }

    fn requested(run: u32) -> WrappedEvent {
        WrappedEvent::WrappedRequested {
            uid: "u1".into(),
            year: 2025,
            run,
            as_of: Utc.with_ymd_and_hms(2025, 12, 20, 10, 0, 0).unwrap(),
        }
    }

    fn progressed() -> WrappedEvent {
        WrappedEvent::WrappedProgressed {
            run: 1,
            step: "Counting".into(),
            pct: 0.4,
            at: Utc.with_ymd_and_hms(2025, 12, 20, 10, 0, 1).unwrap(),
        }
    }

    fn failed() -> WrappedEvent {
        WrappedEvent::WrappedFailed {
            run: 1,
            error: "model down".into(),
            at: Utc.with_ymd_and_hms(2025, 12, 20, 10, 0, 2).unwrap(),
        }
    }

    fn result() -> WrappedResult {
        let event = LifeEvent {
            title: "t".into(),
            description: "d".into(),
        };
        WrappedResult {
            total_conversations: 2,
            days_active: 1,
            total_time_hours: 0.1,
            top_categories: vec![],
            category_breakdown: vec![],
            total_action_items: 0,
            completed_action_items: 0,
            action_items_completion_rate: 0.0,
            signature_phrase: None,
            decision_style: DecisionStyle {
                name: "Independent Builder".into(),
                description: "d".into(),
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
        }
    }

    #[test]
    fn a_running_generation_shows_its_progress_and_a_failure_its_error() {
        let (uid, view) = run(&[requested(1), progressed()]).unwrap();
        assert_eq!(uid, "u1");
        assert_eq!(view.status, WrappedStatus::Processing);
        assert_eq!(view.progress.as_ref().map(|p| p.pct), Some(0.4));
        let (_, view) = run(&[requested(1), progressed(), failed()]).unwrap();
        assert_eq!(view.status, WrappedStatus::Error);
        assert_eq!(view.error.as_deref(), Some("model down"));
        assert_eq!(view.progress, None);
    }

    #[test]
    fn a_new_run_clears_the_last_error_and_a_completed_one_shows_only_its_result() {
        let completed = WrappedEvent::WrappedCompleted {
            run: 2,
            result: Box::new(result()),
            at: Utc.with_ymd_and_hms(2025, 12, 20, 10, 5, 0).unwrap(),
        };
        let (_, view) = run(&[requested(1), failed(), requested(2)]).unwrap();
        assert_eq!((view.status, view.error), (WrappedStatus::Processing, None));
        let (_, view) = run(&[requested(1), failed(), requested(2), completed]).unwrap();
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["status"], "done");
        assert_eq!(json["result"]["total_conversations"], 2);
        assert!(
            json.get("error").is_none() && json.get("progress").is_none(),
            "{json}"
        );
    }
}
