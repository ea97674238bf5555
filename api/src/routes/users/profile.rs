//! The profile, the geolocation and the conversation-summary ratings.

use aide::axum::routing::{get_with, patch_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_domain::user::Geolocation;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::users::profile::{self, ProfileUpdate, ProfileView};
use crate::app::users::ratings::{self, SummaryRating};
use crate::error::ApiResult;
use crate::extract::{Body, CurrentUser, Params};
use crate::replies::Status;
use crate::state::AppState;

pub(super) fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/users/profile",
            get_with(read_profile, |op| {
                op.summary("The user's profile (the defaults until it is changed)")
            })
            .patch_with(change_profile, |op| {
                op.summary("Change the profile: name, email, IANA time_zone, motivation, use_case, job, company")
                    .description(
                        "An extension of this server: the reference changes these fields elsewhere. Absent \
                         fields are left alone, an empty string clears one; a time zone that is not an IANA \
                         name is 422. Daily summaries are written at their hour of this time zone.",
                    )
            }),
        )
        .api_route(
            "/v1/users/geolocation",
            patch_with(record_geolocation, |op| {
                op.summary("Record where the user is (nothing is recorded when unchanged at 4 decimals)")
            }),
        )
        .api_route(
            "/v1/users/analytics/memory_summary",
            get_with(summary_rating, |op| {
                op.summary("The user's rating of a conversation's summary")
            })
            .post_with(rate_summary, |op| {
                op.summary("Rate a conversation's summary (value 1, 0 or -1)")
            }),
        )
}

async fn read_profile(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<ProfileView>> {
    Ok(Json(profile::profile(&state, &user.uid).await?))
}

async fn change_profile(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(update): Body<ProfileUpdate>,
) -> ApiResult<Json<ProfileView>> {
    Ok(Json(
        profile::change_profile(&state, &user.caller(), update).await?,
    ))
}

async fn record_geolocation(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(geolocation): Body<Geolocation>,
) -> ApiResult<Json<Status>> {
    profile::record_geolocation(&state, &user.caller(), geolocation).await?;
    Ok(Json(Status::ok()))
}

#[derive(Deserialize, JsonSchema)]
struct RatingQuery {
    /// The conversation whose summary is rated.
    memory_id: String,
}

#[derive(Deserialize, JsonSchema)]
struct RateQuery {
    /// The conversation whose summary is rated.
    memory_id: String,
    /// 1, 0 or -1.
    value: i64,
}

async fn summary_rating(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<RatingQuery>,
) -> ApiResult<Json<SummaryRating>> {
    Ok(Json(
        ratings::summary_rating(&state, &user.uid, &query.memory_id).await?,
    ))
}

async fn rate_summary(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<RateQuery>,
) -> ApiResult<Json<SummaryRating>> {
    Ok(Json(
        ratings::rate_summary(&state, &user.caller(), &query.memory_id, query.value).await?,
    ))
}
