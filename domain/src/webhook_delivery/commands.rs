//! What can be asked of a delivery.

use serde::{Deserialize, Serialize};

use super::Delivery;
use crate::Timestamp;

/// A command to one delivery; the stream id is its idempotency key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WebhookDeliveryCommand {
    /// Schedules the delivery, due at once; a delivery already scheduled records nothing.
    ScheduleDelivery { delivery: Delivery, at: Timestamp },
    /// Records attempt number `attempt` (the next one, else refused: another sender recorded it first).
    RecordAttempt {
        attempt: u32,
        outcome: AttemptOutcome,
        duration_ms: u64,
        at: Timestamp,
    },
    /// Stops retrying a pending delivery.
    Abandon { reason: String, at: Timestamp },
    /// The owner asks for a finished delivery (delivered or abandoned) again, due at once.
    RequestRedelivery { at: Timestamp },
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AttemptOutcome {
    /// The receiver answered 2xx; `message` is the response's `message` when it had more than 5 characters.
    Delivered {
        status_code: u16,
        message: Option<String>,
    },
    /// Another status, or no answer (`error`); tried again at `next_attempt_at`.
    Failed {
        status_code: Option<u16>,
        error: Option<String>,
        next_attempt_at: Timestamp,
    },
}
