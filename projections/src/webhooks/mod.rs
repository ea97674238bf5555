//! The read models of outbound webhooks: each user's developer webhooks (`developer_webhooks`) and the delivery
//! log with every attempt (`webhook_deliveries`), which the delivery worker also reads to find what is due.

mod deliveries;
mod developer;

pub use deliveries::{
    delivered_to_endpoint_since, deliveries_by_id, delivery, due, endpoint_delivered_since,
    endpoint_delivery, list_deliveries, list_endpoint_deliveries, AttemptView, DeliveryRow,
    DeliveryView, Lane, WebhookDeliveriesProjection,
};
pub use developer::{developer_webhooks, DeveloperWebhooksProjection, DeveloperWebhooksRow};
