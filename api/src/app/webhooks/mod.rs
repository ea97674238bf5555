//! Outbound webhooks (spec §5, §7.10 `developer/webhook*`, issue 17): the user's developer webhooks (their
//! URLs, secrets and toggles, in `developer`), the delivery logs and redelivery (`deliveries`), and scheduling a
//! delivery, which every sender of webhooks shares (`schedule`); the `audio_bytes` webhooks' chunks (`audio`). Apps' own secrets and logs are in
//! `app::apps::webhooks`.

pub mod audio;
pub mod deliveries;
pub mod developer;
pub mod schedule;

use omi_domain::app::{Capability, TriggerEvent};
use omi_projections::apps::{self as apps_read, AppRecord};
use omi_projections::ProjectionError;
use omi_services::webhooks::new_secret;
use omi_store::Database;

use crate::error::{ApiError, ApiResult};

/// A fresh `whsec_` secret (24 random bytes).
pub fn fresh_secret() -> ApiResult<String> {
    let mut random = [0u8; 24];
    getrandom::fill(&mut random)
        .map_err(|e| ApiError::Internal(format!("no randomness for a secret: {e}")))?;
    Ok(new_secret(random))
}

/// The apps `uid` has enabled that are called on `trigger` (spec §5.1–5.4), each with its webhook URL: those with
/// the `external_integration` capability, a `webhook_url`, and a webhook not turned off for failing.
pub async fn apps_called_on(
    database: &Database,
    uid: &str,
    trigger: TriggerEvent,
) -> Result<Vec<(AppRecord, String)>, ProjectionError> {
    let enabled = apps_read::enabled_apps(database, uid).await?;
    let mut called = Vec::new();
    for app in enabled {
        let definition = &app.definition;
        let url = definition
            .external_integration
            .as_ref()
            .filter(|integration| integration.triggers_on == Some(trigger))
            .and_then(|integration| integration.webhook_url.clone())
            .filter(|url| !url.trim().is_empty());
        let capable = definition
            .capabilities
            .contains(&Capability::ExternalIntegration);
        if let (Some(url), true, None) = (url, capable, &app.auto_disabled) {
            called.push((app, url));
        }
    }
    Ok(called)
}
