//! A user's review of an app, and the owner's reply to it.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{AppReviewCommand, AppReviewEvent};
use crate::DomainError;

/// Whether the user reviewed the app.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AppReview {
    written: bool,
}

/// A score within the spec's 0..=5.
fn clamped(score: f64) -> f64 {
    if score.is_nan() {
        0.0
    } else {
        score.clamp(0.0, 5.0)
    }
}

impl Aggregate for AppReview {
    const TYPE: &'static str = "AppReview";
    type Command = AppReviewCommand;
    type Event = AppReviewEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: AppReviewCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        let event = match command {
            AppReviewCommand::SubmitReview {
                score, review, at, ..
            } if self.written => AppReviewEvent::AppReviewUpdated {
                score: clamped(score),
                review,
                updated_at: at,
            },
            AppReviewCommand::SubmitReview {
                app_id,
                uid,
                score,
                review,
                username,
                at,
            } => AppReviewEvent::AppReviewSubmitted {
                app_id,
                uid,
                score: clamped(score),
                review,
                username,
                rated_at: at,
            },
            AppReviewCommand::UpdateReview { score, review, at } => {
                if !self.written {
                    return Err(DomainError::NotFound("Review"));
                }
                AppReviewEvent::AppReviewUpdated {
                    score: clamped(score),
                    review,
                    updated_at: at,
                }
            }
            AppReviewCommand::ReplyToReview { response, at } => {
                if !self.written {
                    return Err(DomainError::NotFound("Review"));
                }
                if response.trim().is_empty() {
                    return Err(DomainError::Invalid("Response cannot be empty".into()));
                }
                AppReviewEvent::AppReviewReplied {
                    response,
                    responded_at: at,
                }
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, _event: AppReviewEvent) {
        self.written = true;
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::Timestamp;

    fn at(seconds: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
    }

    fn submit(score: f64) -> AppReviewCommand {
        AppReviewCommand::SubmitReview {
            app_id: "a1".into(),
            uid: "u2".into(),
            score,
            review: "useful".into(),
            username: None,
            at: at(0),
        }
    }

    fn submitted(score: f64) -> AppReviewEvent {
        AppReviewEvent::AppReviewSubmitted {
            app_id: "a1".into(),
            uid: "u2".into(),
            score,
            review: "useful".into(),
            username: None,
            rated_at: at(0),
        }
    }

    #[test]
    fn a_score_is_clamped_to_zero_to_five() {
        TestFramework::<AppReview>::with(())
            .given_no_previous_events()
            .when(submit(9.0))
            .then_expect_events(vec![submitted(5.0)]);
        TestFramework::<AppReview>::with(())
            .given_no_previous_events()
            .when(submit(-2.0))
            .then_expect_events(vec![submitted(0.0)]);
    }

    #[test]
    fn reviewing_again_updates_the_review() {
        TestFramework::<AppReview>::with(())
            .given(vec![submitted(4.0)])
            .when(submit(2.0))
            .then_expect_events(vec![AppReviewEvent::AppReviewUpdated {
                score: 2.0,
                review: "useful".into(),
                updated_at: at(0),
            }]);
    }

    #[test]
    fn only_a_written_review_is_updated_or_answered() {
        TestFramework::<AppReview>::with(())
            .given_no_previous_events()
            .when(AppReviewCommand::UpdateReview {
                score: 1.0,
                review: String::new(),
                at: at(1),
            })
            .then_expect_error(DomainError::NotFound("Review"));
        TestFramework::<AppReview>::with(())
            .given_no_previous_events()
            .when(AppReviewCommand::ReplyToReview {
                response: "thanks".into(),
                at: at(1),
            })
            .then_expect_error(DomainError::NotFound("Review"));
    }

    #[test]
    fn an_empty_reply_is_refused() {
        TestFramework::<AppReview>::with(())
            .given(vec![submitted(4.0)])
            .when(AppReviewCommand::ReplyToReview {
                response: "  ".into(),
                at: at(1),
            })
            .then_expect_error(DomainError::Invalid("Response cannot be empty".into()));
    }
}
