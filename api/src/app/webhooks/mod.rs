//! Outbound webhooks (spec §5, §7.10 `developer/webhook*`, issue 17): the user's developer webhooks (their
//! URLs, secrets and toggles, in `developer`), the delivery logs and redelivery (`deliveries`), and scheduling a
//! delivery, which every sender of webhooks shares (`schedule`). Apps' own secrets and logs are in
//! `app::apps::webhooks`.

pub mod deliveries;
pub mod developer;
pub mod schedule;

use omi_services::webhooks::new_secret;

use crate::error::{ApiError, ApiResult};

/// A fresh `whsec_` secret (24 random bytes).
pub fn fresh_secret() -> ApiResult<String> {
    let mut random = [0u8; 24];
    getrandom::fill(&mut random)
        .map_err(|e| ApiError::Internal(format!("no randomness for a secret: {e}")))?;
    Ok(new_secret(random))
}
