//! An app's webhook as its owner manages it (spec §5, issue 17): the `whsec_` secret that signs every delivery
//! (made on first read, replaced on request), the delivery log across the app's users with redelivery, and
//! enabling the app again after its webhook was turned off for failing.

use std::time::Duration;

use omi_domain::app::{App, AppCommand};
use omi_domain::webhook_delivery::{Endpoint, EndpointKind};
use omi_projections::webhooks::DeliveryView;
use omi_services::outbound::Outbound;

use super::owned;
use crate::app::webhooks::deliveries::{self, Deliveries};
use crate::app::webhooks::developer::Secret;
use crate::app::webhooks::fresh_secret;
use crate::app::{Caller, Page};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time_input::now;

/// How long the check of the webhook URL, before enabling an app again, may take.
const URL_CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the deliveries of `app_id` go.
pub fn endpoint(app_id: &str) -> Endpoint {
    Endpoint {
        kind: EndpointKind::App,
        id: app_id.to_string(),
    }
}

/// The secret of the caller's app, made now if it has none yet.
pub async fn secret(state: &AppState, caller: &Caller, app_id: &str) -> ApiResult<Secret> {
    let listed = owned(state, &caller.uid, app_id).await?;
    if let Some(secret) = listed.app.webhook_secret {
        return Ok(Secret { secret });
    }
    let command = AppCommand::EnsureWebhookSecret {
        secret: fresh_secret()?,
        at: now(),
    };
    state
        .execute::<App>(app_id, command, &caller.metadata)
        .await?;
    // Whichever first use won, the read model now shows its secret.
    owned(state, &caller.uid, app_id)
        .await?
        .app
        .webhook_secret
        .map(|secret| Secret { secret })
        .ok_or_else(|| ApiError::Internal("the app's webhook secret was not recorded".into()))
}

/// Replaces the secret of the caller's app. Deliveries already scheduled keep the secret they were signed with.
pub async fn rotate_secret(state: &AppState, caller: &Caller, app_id: &str) -> ApiResult<Secret> {
    owned(state, &caller.uid, app_id).await?;
    let secret = fresh_secret()?;
    let command = AppCommand::RotateWebhookSecret {
        uid: caller.uid.clone(),
        secret: secret.clone(),
        at: now(),
    };
    state
        .execute::<App>(app_id, command, &caller.metadata)
        .await?;
    Ok(Secret { secret })
}

/// A page of the deliveries to the caller's app, newest first.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    app_id: &str,
    page: Page,
) -> ApiResult<Deliveries> {
    owned(state, &caller.uid, app_id).await?;
    deliveries::list_to(state, &endpoint(app_id), page).await
}

/// Asks for a delivered or abandoned delivery to the caller's app again.
pub async fn retry(
    state: &AppState,
    caller: &Caller,
    app_id: &str,
    id: &str,
) -> ApiResult<DeliveryView> {
    owned(state, &caller.uid, app_id).await?;
    deliveries::retry_to(state, caller, &endpoint(app_id), id).await
}

/// Enables the caller's app again after its webhook was turned off, once its webhook URL is one the server may
/// call (400 otherwise); an app that was not turned off records nothing.
pub async fn enable_again(state: &AppState, caller: &Caller, app_id: &str) -> ApiResult<()> {
    let listed = owned(state, &caller.uid, app_id).await?;
    if listed.app.auto_disabled.is_none() {
        return Ok(());
    }
    let url = listed
        .app
        .definition
        .external_integration
        .as_ref()
        .and_then(|integration| integration.webhook_url.as_deref());
    if let Some(url) = url {
        let outbound = Outbound::new(state.config.allow_private_outbound, URL_CHECK_TIMEOUT);
        if let Err(error) = outbound.permitted(url).await {
            return Err(ApiError::BadRequest(format!(
                "The app's webhook URL cannot be called: {error}"
            )));
        }
    }
    let command = AppCommand::ReEnable {
        uid: caller.uid.clone(),
        at: now(),
    };
    state
        .execute::<App>(app_id, command, &caller.metadata)
        .await?;
    Ok(())
}
