//! The delivery aggregate: where one delivery stands, and which attempt comes next.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AttemptOutcome, WebhookDeliveryCommand, WebhookDeliveryEvent};
use crate::DomainError;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not scheduled yet (no stream).
    #[default]
    Unscheduled,
    /// Due now or at its next retry.
    Pending,
    Delivered,
    Abandoned,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Unscheduled => "unscheduled",
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Abandoned => "abandoned",
        }
    }
}

/// One delivery.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub state: DeliveryState,
    /// Attempts recorded so far.
    pub attempts: u32,
}

impl Aggregate for WebhookDelivery {
    const TYPE: &'static str = "WebhookDelivery";
    type Command = WebhookDeliveryCommand;
    type Event = WebhookDeliveryEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: WebhookDeliveryCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        if let Some(event) = self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: WebhookDeliveryEvent) {
        use WebhookDeliveryEvent as E;
        match event {
            E::DeliveryScheduled { .. } | E::DeliveryRedeliveryRequested { .. } => {
                self.state = DeliveryState::Pending;
            }
            E::DeliveryAttemptFailed { attempt, .. } => self.attempts = attempt,
            E::DeliveryDelivered { attempt, .. } => {
                self.attempts = attempt;
                self.state = DeliveryState::Delivered;
            }
            E::DeliveryAbandoned { .. } => self.state = DeliveryState::Abandoned,
        }
    }
}

impl WebhookDelivery {
    fn decide(
        &self,
        command: WebhookDeliveryCommand,
    ) -> Result<Option<WebhookDeliveryEvent>, DomainError> {
        use WebhookDeliveryCommand as C;
        use WebhookDeliveryEvent as E;
        let pending = self.state == DeliveryState::Pending;
        Ok(Some(match command {
            C::ScheduleDelivery { delivery, at } => {
                if self.state != DeliveryState::Unscheduled {
                    return Ok(None);
                }
                E::DeliveryScheduled {
                    delivery,
                    scheduled_at: at,
                }
            }
            C::RecordAttempt {
                attempt,
                outcome,
                duration_ms,
                at,
            } => {
                if !pending || attempt != self.attempts + 1 {
                    return Err(DomainError::Conflict(format!(
                        "attempt {attempt} is not the next attempt of this delivery"
                    )));
                }
                match outcome {
                    AttemptOutcome::Delivered {
                        status_code,
                        message,
                    } => E::DeliveryDelivered {
                        attempt,
                        status_code,
                        message,
                        duration_ms,
                        attempted_at: at,
                    },
                    AttemptOutcome::Failed {
                        status_code,
                        error,
                        next_attempt_at,
                    } => E::DeliveryAttemptFailed {
                        attempt,
                        status_code,
                        error,
                        duration_ms,
                        attempted_at: at,
                        next_attempt_at,
                    },
                }
            }
            C::Abandon { reason, at } => {
                if !pending {
                    return Ok(None);
                }
                E::DeliveryAbandoned {
                    reason,
                    abandoned_at: at,
                }
            }
            C::RequestRedelivery { at } => match self.state {
                DeliveryState::Unscheduled => return Err(DomainError::NotFound("Delivery")),
                DeliveryState::Pending => {
                    return Err(DomainError::Conflict(
                        "The delivery is still being attempted".into(),
                    ))
                }
                DeliveryState::Delivered | DeliveryState::Abandoned => {
                    E::DeliveryRedeliveryRequested { requested_at: at }
                }
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone, Utc};
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::webhook_delivery::{Delivery, Endpoint, EndpointKind};
    use crate::Timestamp;

    type Given = TestFramework<WebhookDelivery>;

    fn at() -> Timestamp {
        Utc.timestamp_opt(1_764_626_400, 0).unwrap()
    }

    fn delivery() -> Delivery {
        Delivery {
            uid: "u1".into(),
            endpoint: Endpoint {
                kind: EndpointKind::Developer,
                id: "memory_created".into(),
            },
            url: "https://a.example/hook?uid=u1".into(),
            secret: "whsec_c2VjcmV0".into(),
            payload_kind: "memory_created".into(),
            content_type: "application/json".into(),
            body: "{}".into(),
            causing_event: "c1#4".into(),
        }
    }

    fn scheduled() -> WebhookDeliveryEvent {
        WebhookDeliveryEvent::DeliveryScheduled {
            delivery: delivery(),
            scheduled_at: at(),
        }
    }

    fn failed(attempt: u32) -> WebhookDeliveryEvent {
        WebhookDeliveryEvent::DeliveryAttemptFailed {
            attempt,
            status_code: Some(503),
            error: None,
            duration_ms: 12,
            attempted_at: at(),
            next_attempt_at: at() + TimeDelta::seconds(10),
        }
    }

    fn attempt(attempt: u32, outcome: AttemptOutcome) -> WebhookDeliveryCommand {
        WebhookDeliveryCommand::RecordAttempt {
            attempt,
            outcome,
            duration_ms: 12,
            at: at(),
        }
    }

    fn delivered() -> AttemptOutcome {
        AttemptOutcome::Delivered {
            status_code: 200,
            message: None,
        }
    }

    #[test]
    fn scheduling_the_same_delivery_again_records_nothing() {
        Given::with(())
            .given_no_previous_events()
            .when(WebhookDeliveryCommand::ScheduleDelivery {
                delivery: delivery(),
                at: at(),
            })
            .then_expect_events(vec![scheduled()]);
        Given::with(())
            .given(vec![scheduled()])
            .when(WebhookDeliveryCommand::ScheduleDelivery {
                delivery: delivery(),
                at: at(),
            })
            .then_expect_events(vec![]);
    }

    #[test]
    fn attempts_are_numbered_in_order_and_a_stale_one_is_refused() {
        Given::with(())
            .given(vec![scheduled(), failed(1)])
            .when(attempt(2, delivered()))
            .then_expect_events(vec![WebhookDeliveryEvent::DeliveryDelivered {
                attempt: 2,
                status_code: 200,
                message: None,
                duration_ms: 12,
                attempted_at: at(),
            }]);
        Given::with(())
            .given(vec![scheduled(), failed(1)])
            .when(attempt(1, delivered()))
            .then_expect_error(DomainError::Conflict(
                "attempt 1 is not the next attempt of this delivery".into(),
            ));
    }

    #[test]
    fn a_delivered_delivery_takes_no_more_attempts_until_redelivery_is_asked() {
        let done = WebhookDeliveryEvent::DeliveryDelivered {
            attempt: 1,
            status_code: 204,
            message: None,
            duration_ms: 3,
            attempted_at: at(),
        };
        Given::with(())
            .given(vec![scheduled(), done.clone()])
            .when(attempt(2, delivered()))
            .then_expect_error(DomainError::Conflict(
                "attempt 2 is not the next attempt of this delivery".into(),
            ));
        Given::with(())
            .given(vec![scheduled(), done])
            .when(WebhookDeliveryCommand::RequestRedelivery { at: at() })
            .then_expect_events(vec![WebhookDeliveryEvent::DeliveryRedeliveryRequested {
                requested_at: at(),
            }]);
    }

    #[test]
    fn redelivery_of_a_pending_or_unknown_delivery_is_refused() {
        Given::with(())
            .given(vec![scheduled()])
            .when(WebhookDeliveryCommand::RequestRedelivery { at: at() })
            .then_expect_error(DomainError::Conflict(
                "The delivery is still being attempted".into(),
            ));
        Given::with(())
            .given_no_previous_events()
            .when(WebhookDeliveryCommand::RequestRedelivery { at: at() })
            .then_expect_error(DomainError::NotFound("Delivery"));
    }

    #[test]
    fn only_a_pending_delivery_is_abandoned() {
        let abandon = || WebhookDeliveryCommand::Abandon {
            reason: "the endpoint failed for 72 hours".into(),
            at: at(),
        };
        Given::with(())
            .given(vec![scheduled(), failed(1)])
            .when(abandon())
            .then_expect_events(vec![WebhookDeliveryEvent::DeliveryAbandoned {
                reason: "the endpoint failed for 72 hours".into(),
                abandoned_at: at(),
            }]);
        Given::with(())
            .given_no_previous_events()
            .when(abandon())
            .then_expect_events(vec![]);
    }
}
