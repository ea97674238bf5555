//! An app's outside ends, for its owner (issue 17, spec §5): the `whsec_` secret that signs its webhook
//! deliveries (read and rotated), the delivery log across the app's users with redelivery, and the refresh of
//! its chat tools manifest. Enabling an app again after its webhook was turned off is an edit
//! (`PATCH /v1/apps/{app_id}` with `{"disabled": false}` in `app_data`).

use aide::axum::routing::{get_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_projections::webhooks::DeliveryView;

use crate::app::apps::manifest::{self, Refreshed};
use crate::app::apps::webhooks;
use crate::app::webhooks::deliveries::{Deliveries, PAGE};
use crate::app::webhooks::developer::Secret;
use crate::app::PageQuery;
use crate::error::ApiResult;
use crate::extract::{CurrentUser, Params, Path};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/apps/{app_id}/webhook-secret",
            get_with(secret, |op| {
                op.summary("The whsec_ secret that signs your app's webhook deliveries")
            })
            .post_with(rotate_secret, |op| {
                op.summary("Replace your app's webhook secret; deliveries already scheduled keep theirs")
            }),
        )
        .api_route(
            "/v1/apps/{app_id}/refresh-manifest",
            post_with(refresh_manifest, |op| {
                op.summary("Fetch your app's chat tools manifest again (400 without a URL, 502 when it fails)")
            }),
        )
        .api_route(
            "/v1/apps/{app_id}/deliveries",
            get_with(list_deliveries, |op| {
                op.summary("The deliveries to your app's webhook: every attempt, its status code and the next retry")
            }),
        )
        .api_route(
            "/v1/apps/{app_id}/deliveries/{id}/retry",
            post_with(retry_delivery, |op| {
                op.summary("Deliver a delivered or abandoned delivery to your app again (409 while pending)")
            }),
        )
        .with_path_items(|item| item.tag("apps"))
}

async fn secret(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(app_id): Path<String>,
) -> ApiResult<Json<Secret>> {
    Ok(Json(
        webhooks::secret(&state, &user.caller(), &app_id).await?,
    ))
}

async fn rotate_secret(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(app_id): Path<String>,
) -> ApiResult<Json<Secret>> {
    Ok(Json(
        webhooks::rotate_secret(&state, &user.caller(), &app_id).await?,
    ))
}

async fn list_deliveries(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(app_id): Path<String>,
    Params(query): Params<PageQuery>,
) -> ApiResult<Json<Deliveries>> {
    let page = PAGE.page(query.limit, query.offset)?;
    Ok(Json(
        webhooks::list(&state, &user.caller(), &app_id, page).await?,
    ))
}

async fn retry_delivery(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((app_id, id)): Path<(String, String)>,
) -> ApiResult<Json<DeliveryView>> {
    Ok(Json(
        webhooks::retry(&state, &user.caller(), &app_id, &id).await?,
    ))
}

async fn refresh_manifest(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(app_id): Path<String>,
) -> ApiResult<Json<Refreshed>> {
    Ok(Json(
        manifest::refresh(&state, &user.caller(), &app_id).await?,
    ))
}
