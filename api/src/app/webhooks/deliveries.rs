//! The delivery logs (every attempt, its status code and the next retry) and redelivery on the owner's request:
//! of a user's developer webhooks, and of an app's webhook across its users. A delivery of someone else answers
//! 404 as if it did not exist.

use omi_commands::{Actor, Metadata};
use omi_domain::webhook_delivery::{
    Endpoint, EndpointKind, WebhookDelivery, WebhookDeliveryCommand,
};
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

/// Asks for a delivered or abandoned delivery to one of the user's developer webhooks again (409 while it is
/// still being attempted).
pub async fn retry(state: &AppState, caller: &Caller, id: &str) -> ApiResult<DeliveryView> {
    let found = match well_formed(id) {
        true => webhooks::delivery(&state.database, &caller.uid, id).await?,
        false => None,
    };
    if !found.is_some_and(|row| row.view.endpoint.kind == EndpointKind::Developer) {
        return Err(not_found());
    }
    redeliver(state, &caller.uid, id, &caller.metadata).await
}

/// The deliveries to `endpoint` (an app's, whose owner asks), newest first.
pub async fn list_to(state: &AppState, endpoint: &Endpoint, page: Page) -> ApiResult<Deliveries> {
    Ok(Deliveries {
        deliveries: webhooks::list_endpoint_deliveries(
            &state.database,
            endpoint,
            page.limit,
            page.offset,
        )
        .await?,
    })
}

/// Asks for a delivered or abandoned delivery to `endpoint` (an app's, whose owner asks) again. The events stay
/// on the stream of the user the delivery is about, with the app as actor.
pub async fn retry_to(
    state: &AppState,
    caller: &Caller,
    endpoint: &Endpoint,
    id: &str,
) -> ApiResult<DeliveryView> {
    let found = match well_formed(id) {
        true => webhooks::endpoint_delivery(&state.database, endpoint, id).await?,
        false => None,
    };
    let (uid, _) = found.ok_or_else(not_found)?;
    let metadata = Metadata::new(
        uid.clone(),
        Actor::App(endpoint.id.clone()),
        caller.metadata.correlation_id.clone(),
    );
    redeliver(state, &uid, id, &metadata).await
}

fn not_found() -> ApiError {
    ApiError::NotFound("Delivery not found".into())
}

/// Whether `id` can be a delivery id at all.
fn well_formed(id: &str) -> bool {
    id.len() <= 64 && id.starts_with("msg_")
}

async fn redeliver(
    state: &AppState,
    uid: &str,
    id: &str,
    metadata: &Metadata,
) -> ApiResult<DeliveryView> {
    // Deliveries run on the system clock (the worker's), not on a test clock.
    let command = WebhookDeliveryCommand::RequestRedelivery {
        at: chrono::Utc::now(),
    };
    state
        .execute::<WebhookDelivery>(id, command, metadata)
        .await?;
    webhooks::delivery(&state.database, uid, id)
        .await?
        .map(|row| row.view)
        .ok_or_else(not_found)
}
