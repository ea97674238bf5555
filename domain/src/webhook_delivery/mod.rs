//! Outbound webhook deliveries (spec §5, issue 17): each delivery is a stream whose id is its idempotency key
//! (the `webhook-id` header), derived from the event that caused it and the endpoint it goes to, so scheduling the
//! same delivery twice records it once. Its events are the outbox: scheduled, every attempt with its outcome and
//! next retry, delivered, abandoned, redelivery asked for by the owner. The endpoint is generic (a user's
//! developer webhook or an app), so every sender of webhooks shares the same machinery.

mod aggregate;
mod commands;
mod events;

pub use aggregate::{DeliveryState, WebhookDelivery};
pub use commands::{AttemptOutcome, WebhookDeliveryCommand};
pub use events::WebhookDeliveryEvent;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What kind of endpoint a delivery goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndpointKind {
    /// A user's developer webhook; the endpoint id is its type (`memory_created` …).
    Developer,
    /// An app's webhook; the endpoint id is the app id.
    App,
}

impl EndpointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Developer => "developer",
            EndpointKind::App => "app",
        }
    }
}

/// Where a delivery goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Endpoint {
    pub kind: EndpointKind,
    pub id: String,
}

/// Everything needed to send a delivery, fixed when it is scheduled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The user the delivery is about (and whose erasure removes it).
    pub uid: String,
    pub endpoint: Endpoint,
    /// The full URL posted to, query included.
    pub url: String,
    /// The endpoint's `whsec_` secret at scheduling time, which signs every attempt.
    pub secret: String,
    /// What the body is (`memory_created`, `realtime_transcript`, `day_summary` …).
    pub payload_kind: String,
    pub content_type: String,
    /// The body, as text (JSON bodies).
    pub body: String,
    /// The id of the event that caused it (`<stream id>#<sequence>`).
    pub causing_event: String,
}

/// The namespace of delivery ids (UUID v5).
const DELIVERY_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6f6d_695f_7765_6268_6f6f_6b5f_6465_6c76);

/// The idempotency key of the delivery `causing_event` makes to `endpoint`: the same pair always names the same
/// delivery (`msg_` and 32 hex digits, a valid `webhook-id`), so handling an event again schedules nothing new.
pub fn delivery_id(causing_event: &str, endpoint: &Endpoint) -> String {
    let name = format!("{causing_event}|{}|{}", endpoint.kind.as_str(), endpoint.id);
    format!(
        "msg_{}",
        uuid::Uuid::new_v5(&DELIVERY_NAMESPACE, name.as_bytes()).simple()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_id_is_fixed_by_its_cause_and_endpoint() {
        let developer = Endpoint {
            kind: EndpointKind::Developer,
            id: "memory_created".into(),
        };
        let app = Endpoint {
            kind: EndpointKind::App,
            id: "memory_created".into(),
        };
        let id = delivery_id("c1#5", &developer);
        assert_eq!(id, delivery_id("c1#5", &developer));
        assert_ne!(id, delivery_id("c1#6", &developer));
        assert_ne!(id, delivery_id("c1#5", &app));
        assert!(id.starts_with("msg_") && id.len() == 36, "{id}");
    }
}
