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
