//! Trends (spec §7.11): `GET /v1/trends`, public.

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_projections::trends::Trend;

use crate::app::trends;
use crate::error::ApiResult;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/trends",
            get_with(list, |op| {
                op.summary(
                    "Trends: per category and type (best, worst), the whitelisted topics conversations speak of, \
                     most contributing conversations first (no auth)",
                )
            }),
        )
        .with_path_items(|item| item.tag("trends"))
}

async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<Trend>>> {
    Ok(Json(trends::list(&state).await?))
}
