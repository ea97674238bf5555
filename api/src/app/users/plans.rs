//! Plans, quotas and usage (spec §1.5, §7.10 `me/*`). A self-hosted server takes no payments: every user is on
//! the free plan without limits, never sees a paywall or a trial, and is never over quota. Usage is counted from
//! the statistics read models (UTC days): transcription seconds are the speech of completed conversations,
//! words their transcripts' words, insights the memories and action items created.

use chrono::{Datelike, NaiveDate};
use omi_projections::statistics::{self, Statistics};
use schemars::JsonSchema;
use serde::Serialize;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The only plan of a self-hosted server.
pub const PLAN: &str = "basic";

/// The limits of a plan; null means unlimited.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct Limits {
    pub transcription_seconds: Option<u64>,
    pub words_transcribed: Option<u64>,
    pub insights_gained: Option<u64>,
    pub memories_created: Option<u64>,
}

/// The user's subscription: the free plan, active, without limits.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Subscription {
    /// `basic`.
    pub plan: &'static str,
    /// `active`.
    pub status: &'static str,
    pub limits: Limits,
    pub features: Vec<String>,
    pub current_price_id: Option<String>,
}

/// What `GET /v1/users/me/subscription` answers.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SubscriptionView {
    pub subscription: Subscription,
    /// This month's (UTC) usage, and its limits (null: unlimited).
    pub transcription_seconds_used: u64,
    pub transcription_seconds_limit: Option<u64>,
    pub words_transcribed_used: u64,
    pub words_transcribed_limit: Option<u64>,
    pub insights_gained_used: u64,
    pub insights_gained_limit: Option<u64>,
    /// No plan can be bought here.
    pub available_plans: Vec<String>,
    /// Always false: there is nothing to subscribe to.
    pub show_subscription_ui: bool,
    pub chat_quota_used: u64,
    pub chat_quota_limit: Option<u64>,
}

/// What `GET /v1/users/me/usage-quota` answers: never over quota.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UsageQuota {
    pub plan: &'static str,
    /// Always true.
    pub allowed: bool,
    /// This month's transcription seconds.
    pub used: u64,
    /// Null: unlimited.
    pub limit: Option<u64>,
    /// `seconds`.
    pub unit: &'static str,
}

/// What `GET /v1/users/me/paywall` answers: no paywall.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Paywall {
    pub show_paywall: bool,
    pub plan: &'static str,
}

/// What `GET /v1/users/me/trial` answers: no trial, nothing to try.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Trial {
    pub eligible: bool,
    pub active: bool,
    pub ends_at: Option<String>,
}

/// The user's usage over a period.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Usage {
    /// `today`, `monthly`, `yearly` or `all_time`.
    pub period: String,
    /// First and last day counted (UTC).
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub transcription_seconds: u64,
    pub words_transcribed: u64,
    /// Memories and action items created.
    pub insights_gained: u64,
    pub memories_created: u64,
    pub conversations: u64,
}

/// The first day of each period that ends today; `None` for a period this server does not know.
fn first_day(period: &str, today: NaiveDate) -> Option<NaiveDate> {
    match period {
        "today" => Some(today),
        "monthly" | "month" => today.with_day(1),
        "yearly" | "year" => NaiveDate::from_ymd_opt(today.year(), 1, 1),
        "all_time" => NaiveDate::from_ymd_opt(1970, 1, 1),
        _ => None,
    }
}

/// The user's usage over `period` (`today` when absent); another period is 400.
pub async fn usage(state: &AppState, uid: &str, period: Option<&str>) -> ApiResult<Usage> {
    let period = period.map(str::trim).unwrap_or("today");
    let today = state.clock.now().date_naive();
    let from = first_day(period, today).ok_or_else(|| {
        ApiError::BadRequest("Invalid period; use today, monthly, yearly or all_time".into())
    })?;
    let total = statistics::range(&state.database, uid, from, today)
        .await?
        .total;
    Ok(Usage {
        period: period.to_string(),
        from,
        to: today,
        transcription_seconds: total.milliseconds_spoken / 1000,
        words_transcribed: total.words,
        insights_gained: insights(&total),
        memories_created: total.memories_created,
        conversations: total.conversations,
    })
}

fn insights(total: &Statistics) -> u64 {
    total.memories_created + total.action_items_created
}

/// The free plan without limits, with this month's usage.
pub async fn subscription(state: &AppState, uid: &str) -> ApiResult<SubscriptionView> {
    let month = usage(state, uid, Some("monthly")).await?;
    Ok(SubscriptionView {
        subscription: Subscription {
            plan: PLAN,
            status: "active",
            limits: Limits::default(),
            features: Vec::new(),
            current_price_id: None,
        },
        transcription_seconds_used: month.transcription_seconds,
        transcription_seconds_limit: None,
        words_transcribed_used: month.words_transcribed,
        words_transcribed_limit: None,
        insights_gained_used: month.insights_gained,
        insights_gained_limit: None,
        available_plans: Vec::new(),
        show_subscription_ui: false,
        chat_quota_used: 0,
        chat_quota_limit: None,
    })
}

/// Never over quota; this month's transcription seconds as `used`.
pub async fn usage_quota(state: &AppState, uid: &str) -> ApiResult<UsageQuota> {
    let month = usage(state, uid, Some("monthly")).await?;
    Ok(UsageQuota {
        plan: PLAN,
        allowed: true,
        used: month.transcription_seconds,
        limit: None,
        unit: "seconds",
    })
}

/// No paywall.
pub fn paywall() -> Paywall {
    Paywall {
        show_paywall: false,
        plan: PLAN,
    }
}

/// No trial.
pub fn trial() -> Trial {
    Trial {
        eligible: false,
        active: false,
        ends_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_on_the_first_day_they_count() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(first_day("today", today), Some(today));
        assert_eq!(
            first_day("monthly", today),
            NaiveDate::from_ymd_opt(2026, 12, 1)
        );
        assert_eq!(
            first_day("yearly", today),
            NaiveDate::from_ymd_opt(2026, 1, 1)
        );
        assert_eq!(first_day("weekly", today), None);
    }
}
