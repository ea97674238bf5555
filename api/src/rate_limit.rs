//! Rate limits for API keys (spec §1.4): 100 requests a minute per key and 10,000 a day per user by default,
//! counted in fixed windows in the shared store, so that every server process enforces one limit.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue};
use omi_store::{counters, Database};

/// A failure of the shared store.
pub type StoreFailure = omi_store::SqlError;

/// The limits in force.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_key_per_minute: i64,
    pub per_user_per_day: i64,
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The limit that binds (the per-key one unless the daily one is nearer).
    pub limit: i64,
    pub remaining: i64,
    /// Unix seconds when the binding window ends.
    pub reset: i64,
    /// Seconds until a refused request may be retried.
    pub retry_after: i64,
}

impl Decision {
    /// The `X-RateLimit-*` headers (and `Retry-After` when refused).
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let number = |n: i64| {
            HeaderValue::from_str(&n.to_string()).expect("digits are a valid header value")
        };
        headers.insert("x-ratelimit-limit", number(self.limit));
        headers.insert("x-ratelimit-remaining", number(self.remaining));
        headers.insert("x-ratelimit-reset", number(self.reset));
        if !self.allowed {
            headers.insert("retry-after", number(self.retry_after.max(1)));
        }
        headers
    }
}

const MINUTE: i64 = 60;
const DAY: i64 = 86_400;

/// Counts one request of key `key_id` of user `uid` and decides.
pub async fn count(
    database: &Database,
    limits: Limits,
    key_id: &str,
    uid: &str,
) -> Result<Decision, StoreFailure> {
    let now = unix_now();
    let minute = now - now % MINUTE;
    let day = now - now % DAY;
    let (key_hits, user_hits) = counters::hit_two(
        database,
        (&format!("key:{key_id}"), minute),
        (&format!("user:{uid}"), day),
    )
    .await?;
    let key_left = limits.per_key_per_minute - key_hits;
    let user_left = limits.per_user_per_day - user_hits;
    let (limit, remaining, window_end) = if user_left < key_left {
        (limits.per_user_per_day, user_left, day + DAY)
    } else {
        (limits.per_key_per_minute, key_left, minute + MINUTE)
    };
    Ok(Decision {
        allowed: key_left >= 0 && user_left >= 0,
        limit,
        remaining: remaining.max(0),
        reset: window_end,
        retry_after: window_end - now,
    })
}

/// Removes windows that ended more than a day ago.
pub async fn prune(database: &Database) -> Result<u64, StoreFailure> {
    counters::prune(database, unix_now() - 2 * DAY).await
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
