//! Daily summaries and their settings (spec §7.10, the `users` router): the user's settings, a summary written
//! now, the list, one summary, sharing, deleting and regenerating; and, without authentication, the public
//! subset of a shared summary.

use aide::axum::routing::{get_with, patch_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_projections::daily_summaries::{DailySummaryView, SettingsView};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::daily_summaries::{self, Generated, SettingsUpdate, SharedDailySummary};
use crate::error::ApiResult;
use crate::extract::{Body, CurrentUser, Params, Path};
use crate::replies::Status;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/users/daily-summary-settings",
            get_with(settings, |op| op.summary("Daily summary settings"))
                .patch_with(change_settings, |op| {
                    op.summary("Change the daily summary settings (hour 0-23, else 400)")
                }),
        )
        .api_route(
            "/v1/users/daily-summary-settings/test",
            post_with(generate_now, |op| {
                op.summary("Write the summary of a day now (400 without conversations)")
            }),
        )
        .api_route(
            "/v1/users/daily-summaries",
            get_with(list, |op| op.summary("List daily summaries, newest first")),
        )
        .api_route(
            "/v1/users/daily-summaries/{id}",
            get_with(get_one, |op| op.summary("Get a daily summary"))
                .delete_with(delete_one, |op| op.summary("Delete a daily summary")),
        )
        .api_route(
            "/v1/users/daily-summaries/{id}/visibility",
            patch_with(change_visibility, |op| {
                op.summary("Share a daily summary or make it private (?value=shared|private)")
            }),
        )
        .api_route(
            "/v1/users/daily-summaries/{id}/regenerate",
            post_with(regenerate, |op| {
                op.summary("Write a daily summary again (once per 30 s, else 429)")
            }),
        )
        .api_route(
            "/v1/daily-summaries/{id}/shared",
            get_with(shared, |op| op.summary("Read a shared daily summary")),
        )
        .with_path_items(|item| item.tag("daily summaries"))
}

async fn settings(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<SettingsView>> {
    Ok(Json(daily_summaries::settings(&state, &user.uid).await?))
}

async fn change_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(update): Body<SettingsUpdate>,
) -> ApiResult<Json<SettingsView>> {
    Ok(Json(
        daily_summaries::change_settings(&state, &user.caller(), update).await?,
    ))
}

/// The day to write now.
#[derive(Deserialize, JsonSchema)]
struct GenerateInput {
    /// `YYYY-MM-DD`; the user's local today (in their profile's time zone, else UTC) when absent.
    #[serde(default)]
    date: Option<String>,
}

async fn generate_now(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(input): Body<GenerateInput>,
) -> ApiResult<Json<Generated>> {
    Ok(Json(
        daily_summaries::generate_now(&state, &user.caller(), input.date.as_deref()).await?,
    ))
}

#[derive(Deserialize, JsonSchema)]
struct ListParams {
    /// 1-100, default 30.
    limit: Option<i64>,
    offset: Option<i64>,
}

#[derive(Serialize, JsonSchema)]
struct SummaryList {
    summaries: Vec<DailySummaryView>,
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<ListParams>,
) -> ApiResult<Json<SummaryList>> {
    let page = daily_summaries::PAGE.page(query.limit, query.offset)?;
    Ok(Json(SummaryList {
        summaries: daily_summaries::list(&state, &user.uid, page).await?,
    }))
}

async fn get_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DailySummaryView>> {
    Ok(Json(daily_summaries::read(&state, &user.uid, &id).await?))
}

async fn delete_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Status>> {
    daily_summaries::delete(&state, &user.caller(), &id).await?;
    Ok(Json(Status::ok()))
}

#[derive(Deserialize, JsonSchema)]
struct VisibilityQuery {
    /// `shared` or `private`.
    value: String,
}

async fn change_visibility(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<VisibilityQuery>,
) -> ApiResult<Json<DailySummaryView>> {
    Ok(Json(
        daily_summaries::change_visibility(&state, &user.caller(), &id, &query.value).await?,
    ))
}

async fn regenerate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DailySummaryView>> {
    Ok(Json(
        daily_summaries::regenerate(&state, &user.caller(), &id).await?,
    ))
}

/// No authentication: the public part of a summary its owner shared; 404 unless it is shared.
async fn shared(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SharedDailySummary>> {
    Ok(Json(daily_summaries::read_shared(&state, &id).await?))
}
