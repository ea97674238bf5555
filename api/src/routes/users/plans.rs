//! The plan, quota, paywall, trial and usage of a self-hosted server: the free plan without limits
//! (see `app::users::plans`).

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::users::plans::{self, Paywall, SubscriptionView, Trial, Usage, UsageQuota};
use crate::error::ApiResult;
use crate::extract::{CurrentUser, Params};
use crate::state::AppState;

pub(super) fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/users/me/subscription",
            get_with(subscription, |op| {
                op.summary("The free plan without limits (a self-hosted server takes no payments)")
            }),
        )
        .api_route(
            "/v1/users/me/usage-quota",
            get_with(usage_quota, |op| {
                op.summary("Never over quota: no limits here")
            }),
        )
        .api_route(
            "/v1/users/me/paywall",
            get_with(paywall, |op| {
                op.summary("No paywall on a self-hosted server")
            }),
        )
        .api_route(
            "/v1/users/me/trial",
            get_with(trial, |op| op.summary("No trial on a self-hosted server")),
        )
        .api_route(
            "/v1/users/me/usage",
            get_with(usage, |op| {
                op.summary(
                    "Usage over a period (today, monthly, yearly, all_time), from the statistics",
                )
            }),
        )
}

async fn subscription(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<SubscriptionView>> {
    Ok(Json(plans::subscription(&state, &user.uid).await?))
}

async fn usage_quota(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<UsageQuota>> {
    Ok(Json(plans::usage_quota(&state, &user.uid).await?))
}

async fn paywall(_user: CurrentUser) -> Json<Paywall> {
    Json(plans::paywall())
}

async fn trial(_user: CurrentUser) -> Json<Trial> {
    Json(plans::trial())
}

#[derive(Deserialize, JsonSchema)]
struct UsageQuery {
    /// `today` (the default), `monthly`, `yearly` or `all_time`.
    period: Option<String>,
}

async fn usage(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<UsageQuery>,
) -> ApiResult<Json<Usage>> {
    Ok(Json(
        plans::usage(&state, &user.uid, query.period.as_deref()).await?,
    ))
}
