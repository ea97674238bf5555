//! Per-user rate-limit policies of the app's routes (spec §1.4): a fixed number of requests per user in a fixed
//! window, counted in the shared store so every server process enforces one limit, answered with the same
//! `X-RateLimit-*` headers (and `Retry-After` on 429) as the API-key limits.

use std::time::{SystemTime, UNIX_EPOCH};

use omi_store::{counters, Database};

use crate::error::ApiError;
use crate::rate_limit::{Decision, StoreFailure};

/// A policy: at most `limit` requests per user in each window of `window` seconds.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The spec's name, e.g. `wrapped:generate`.
    pub name: &'static str,
    pub limit: i64,
    pub window: i64,
}

/// `wrapped:generate`: 2 a day.
pub const WRAPPED_GENERATE: Policy = Policy {
    name: "wrapped:generate",
    limit: 2,
    window: 86_400,
};

/// `goals:suggest`: 30 an hour.
pub const GOALS_SUGGEST: Policy = Policy {
    name: "goals:suggest",
    limit: 30,
    window: 3_600,
};

/// `goals:advice`: 30 an hour.
pub const GOALS_ADVICE: Policy = Policy {
    name: "goals:advice",
    limit: 30,
    window: 3_600,
};

/// `goals:extract`: 30 an hour.
pub const GOALS_EXTRACT: Policy = Policy {
    name: "goals:extract",
    limit: 30,
    window: 3_600,
};

/// App notifications (spec §7.2): 10 an hour per app and user (counted under `<app_id>:<uid>`).
pub const APP_NOTIFICATIONS: Policy = Policy {
    name: "integration:notifications",
    limit: 10,
    window: 3_600,
};

/// Conversations written by an app (spec §1.4): 10 an hour per app and user (counted under `<app_id>:<uid>`).
pub const APP_CONVERSATIONS: Policy = Policy {
    name: "integration:conversations",
    limit: 10,
    window: 3_600,
};

/// Memory imports by an app (spec §1.4): 60 an hour per app and user (counted under `<app_id>:<uid>`).
pub const APP_MEMORIES: Policy = Policy {
    name: "integration:memories",
    limit: 60,
    window: 3_600,
};

/// Counts one request of `uid` under `policy` and decides.
pub async fn count(
    database: &Database,
    policy: Policy,
    uid: &str,
) -> Result<Decision, StoreFailure> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let start = now - now % policy.window;
    let hits = counters::hit(database, &format!("{}:{uid}", policy.name), start).await?;
    let end = start + policy.window;
    Ok(Decision {
        allowed: hits <= policy.limit,
        limit: policy.limit,
        remaining: (policy.limit - hits).max(0),
        reset: end,
        retry_after: end - now,
    })
}

/// Counts one request of `key` under a per-hour policy `name` of `limit` requests (0: no limit) and refuses it
/// with 429 over the limit.
pub async fn enforce_hourly(
    database: &Database,
    name: &'static str,
    limit: i64,
    key: &str,
) -> Result<(), ApiError> {
    if limit <= 0 {
        return Ok(());
    }
    let policy = Policy {
        name,
        limit,
        window: 3_600,
    };
    let decision = count(database, policy, key)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if decision.allowed {
        Ok(())
    } else {
        Err(refusal(policy))
    }
}

/// The refusal of a request over its policy's limit.
pub fn refusal(policy: Policy) -> ApiError {
    ApiError::TooManyRequests(format!(
        "Rate limit exceeded for {}; retry after the window resets",
        policy.name
    ))
}
