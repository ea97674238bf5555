//! `/v1/dev/user/daily-summaries[/{id}]` (spec §7.4, newer): the user's daily summaries for scripts, with the
//! `conversations:read` scope, through the application layer's daily summaries.

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_domain::api_key::Scope;
use omi_projections::daily_summaries::DailySummaryView;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::daily_summaries;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Params, Path};
use crate::key_auth::KeyHolder;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/dev/user/daily-summaries",
            get_with(list, |op| op.summary("List daily summaries, newest first")),
        )
        .api_route(
            "/v1/dev/user/daily-summaries/{id}",
            get_with(get_one, |op| op.summary("Get a daily summary")),
        )
}

#[derive(Deserialize, JsonSchema)]
struct ListQuery {
    /// 1-100, default 30.
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    key: KeyHolder,
    query: Result<Params<ListQuery>, ApiError>,
) -> ApiResult<Json<Vec<DailySummaryView>>> {
    key.require(Scope::ConversationsRead)?;
    let Params(query) = query?;
    let page = daily_summaries::PAGE.page(query.limit, query.offset)?;
    Ok(Json(daily_summaries::list(&state, &key.uid, page).await?))
}

async fn get_one(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
) -> ApiResult<Json<DailySummaryView>> {
    key.require(Scope::ConversationsRead)?;
    Ok(Json(daily_summaries::read(&state, &key.uid, &id).await?))
}
