//! The user's developer webhooks (spec §7.10 `developer/webhook*`, the `users` router): the URL and secret of
//! each type, the toggles and their status, secret rotation (an extension), and the delivery log with
//! redelivery.

use aide::axum::routing::{get_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_projections::webhooks::DeliveryView;

use crate::app::webhooks::deliveries::{self, Deliveries};
use crate::app::webhooks::developer::{
    self, webhook_type, Secret, WebhookUrl, WebhookView, WebhooksStatus,
};
use crate::app::PageQuery;
use crate::error::ApiResult;
use crate::extract::{Body, CurrentUser, Params, Path};
use crate::replies::Status;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/users/developer/webhook/{wtype}",
            get_with(get_webhook, |op| {
                op.summary("A developer webhook's URL and its whsec_ signing secret")
            })
            .post_with(set_webhook, |op| {
                op.summary("Set a developer webhook's URL (\"\" or \",\" turns it off)")
            }),
        )
        .api_route(
            "/v1/users/developer/webhook/{wtype}/enable",
            post_with(enable, |op| op.summary("Turn a developer webhook on")),
        )
        .api_route(
            "/v1/users/developer/webhook/{wtype}/disable",
            post_with(disable, |op| op.summary("Turn a developer webhook off")),
        )
        .api_route(
            "/v1/users/developer/webhook/{wtype}/secret",
            post_with(rotate_secret, |op| {
                op.summary("Replace a developer webhook's signing secret (404 without a URL)")
            }),
        )
        .api_route(
            "/v1/users/developer/webhooks/status",
            get_with(status, |op| {
                op.summary("Whether each developer webhook delivers")
            }),
        )
        .api_route(
            "/v1/users/developer/webhooks/deliveries",
            get_with(list_deliveries, |op| {
                op.summary("The delivery log: every attempt, its status code and the next retry")
            }),
        )
        .api_route(
            "/v1/users/developer/webhooks/deliveries/{id}/retry",
            post_with(retry_delivery, |op| {
                op.summary("Deliver a delivered or abandoned delivery again (409 while pending)")
            }),
        )
        .with_path_items(|item| item.tag("users"))
}

async fn get_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(wtype): Path<String>,
) -> ApiResult<Json<WebhookView>> {
    let wtype = webhook_type(&wtype)?;
    Ok(Json(developer::get(&state, &user.uid, wtype).await?))
}

async fn set_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(wtype): Path<String>,
    Body(body): Body<WebhookUrl>,
) -> ApiResult<Json<Status>> {
    let wtype = webhook_type(&wtype)?;
    Ok(Json(
        developer::set_url(&state, &user.caller(), wtype, body).await?,
    ))
}

async fn enable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(wtype): Path<String>,
) -> ApiResult<Json<Status>> {
    let wtype = webhook_type(&wtype)?;
    Ok(Json(
        developer::toggle(&state, &user.caller(), wtype, true).await?,
    ))
}

async fn disable(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(wtype): Path<String>,
) -> ApiResult<Json<Status>> {
    let wtype = webhook_type(&wtype)?;
    Ok(Json(
        developer::toggle(&state, &user.caller(), wtype, false).await?,
    ))
}

async fn rotate_secret(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(wtype): Path<String>,
) -> ApiResult<Json<Secret>> {
    let wtype = webhook_type(&wtype)?;
    Ok(Json(
        developer::rotate_secret(&state, &user.caller(), wtype).await?,
    ))
}

async fn status(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<WebhooksStatus>> {
    Ok(Json(developer::status(&state, &user.uid).await?))
}

async fn list_deliveries(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<PageQuery>,
) -> ApiResult<Json<Deliveries>> {
    let page = deliveries::PAGE.page(query.limit, query.offset)?;
    Ok(Json(deliveries::list(&state, &user.uid, page).await?))
}

async fn retry_delivery(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DeliveryView>> {
    Ok(Json(deliveries::retry(&state, &user.caller(), &id).await?))
}
