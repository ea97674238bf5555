//! The delivery log of a user's webhooks (every attempt, its status code and the next retry), and redelivery on
//! the owner's request. Another user's delivery answers 404 as if it did not exist.

use omi_domain::webhook_delivery::{WebhookDelivery, WebhookDeliveryCommand};
use omi_projections::webhooks::{self, DeliveryView};
use schemars::JsonSchema;
use serde::Serialize;

use crate::app::{Caller, Page, PageRule};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The log pages 50 deliveries by default, at most 200.
pub const PAGE: PageRule = PageRule::new(50, 200);

/// One page of the delivery log, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Deliveries {
    pub deliveries: Vec<DeliveryView>,
}

/// A page of the user's deliveries.
pub async fn list(state: &AppState, uid: &str, page: Page) -> ApiResult<Deliveries> {
    Ok(Deliveries {
        deliveries: webhooks::list_deliveries(&state.database, uid, page.limit, page.offset)
            .await?,
    })
}

/// Asks for a delivered or abandoned delivery again (409 while it is still being attempted).
pub async fn retry(state: &AppState, caller: &Caller, id: &str) -> ApiResult<DeliveryView> {
    let not_found = || ApiError::NotFound("Delivery not found".into());
    if id.len() > 64 || !id.starts_with("msg_") {
        return Err(not_found());
    }
    if webhooks::delivery(&state.database, &caller.uid, id)
        .await?
        .is_none()
    {
        return Err(not_found());
    }
    // Deliveries run on the system clock (the worker's), not on a test clock.
    let command = WebhookDeliveryCommand::RequestRedelivery {
        at: chrono::Utc::now(),
    };
    state
        .execute::<WebhookDelivery>(id, command, &caller.metadata)
        .await?;
    webhooks::delivery(&state.database, &caller.uid, id)
        .await?
        .map(|row| row.view)
        .ok_or_else(not_found)
}
