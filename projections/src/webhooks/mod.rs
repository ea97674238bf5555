//! The read models of outbound webhooks: each user's developer webhooks (`developer_webhooks`) and the delivery
//! log with every attempt (`webhook_deliveries`), which the delivery worker also reads to find what is due.

mod deliveries;
mod developer;

pub use deliveries::{
    delivery, due, endpoint_delivered_since, list_deliveries, AttemptView, DeliveryRow,
    DeliveryView, WebhookDeliveriesProjection,
};
pub use developer::{developer_webhooks, DeveloperWebhooksProjection, DeveloperWebhooksRow};
