//! The admin's app routes (spec §7.1), behind the `secret-key: <ADMIN_KEY>` header: the public apps waiting
//! for approval, approve, reject, and the popular flag. Without `ADMIN_KEY` set, every request is refused.

use aide::axum::routing::{get_with, patch_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::apps::{self, AdminDecision, AppView, Status};
use crate::auth::Admin;
use crate::error::ApiResult;
use crate::extract::{Params, Path};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/apps/public/unapproved",
            get_with(unapproved, |op| {
                op.summary("Public apps waiting for approval (admin)")
            }),
        )
        .api_route(
            "/v1/apps/{app_id}/approve",
            post_with(approve, |op| op.summary("Approve an app (admin)")),
        )
        .api_route(
            "/v1/apps/{app_id}/reject",
            post_with(reject, |op| op.summary("Reject an app (admin)")),
        )
        .api_route(
            "/v1/apps/{app_id}/popular",
            patch_with(popular, |op| {
                op.summary("Flag an app popular or not (?value=, admin)")
            }),
        )
        .with_path_items(|item| item.tag("apps"))
}

/// `?uid=` as the reference sends it (the owner; the server knows it already).
#[derive(Debug, Deserialize, JsonSchema)]
struct DecisionQuery {
    #[allow(dead_code)]
    uid: Option<String>,
}

/// `?value=`.
#[derive(Debug, Deserialize, JsonSchema)]
struct PopularQuery {
    value: bool,
}

async fn unapproved(State(state): State<AppState>, _admin: Admin) -> ApiResult<Json<Vec<AppView>>> {
    Ok(Json(apps::unapproved(&state).await?))
}

async fn approve(
    State(state): State<AppState>,
    admin: Admin,
    Path(app_id): Path<String>,
    Params(_query): Params<DecisionQuery>,
) -> ApiResult<Json<Status>> {
    let status = apps::decide(&state, &admin.request_id, &app_id, AdminDecision::Approve).await?;
    Ok(Json(status))
}

async fn reject(
    State(state): State<AppState>,
    admin: Admin,
    Path(app_id): Path<String>,
    Params(_query): Params<DecisionQuery>,
) -> ApiResult<Json<Status>> {
    let status = apps::decide(&state, &admin.request_id, &app_id, AdminDecision::Reject).await?;
    Ok(Json(status))
}

async fn popular(
    State(state): State<AppState>,
    admin: Admin,
    Path(app_id): Path<String>,
    Params(query): Params<PopularQuery>,
) -> ApiResult<Json<Status>> {
    let decision = AdminDecision::Popular(query.value);
    Ok(Json(
        apps::decide(&state, &admin.request_id, &app_id, decision).await?,
    ))
}
