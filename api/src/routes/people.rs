//! People (spec §7.10 `people*`, the `users` router): create (idempotent by name), list, get, rename, delete,
//! and the speech samples this server does not store yet.

use aide::axum::routing::{delete_with, get_with, patch_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::response::NoContent;
use axum::Json;
use omi_projections::people::PersonView;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::people::{self, PersonInput};
use crate::error::ApiResult;
use crate::extract::{Body, CurrentUser, Params, Path};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/users/people",
            get_with(list, |op| op.summary("The user's people, oldest first")).post_with(
                create,
                |op| {
                    op.summary(
                        "Create a person (name 2-40); the same name again answers the existing one",
                    )
                },
            ),
        )
        .api_route(
            "/v1/users/people/{id}",
            get_with(get_one, |op| op.summary("Get a person"))
                .delete_with(delete_one, |op| op.summary("Delete a person (204)")),
        )
        .api_route(
            "/v1/users/people/{id}/name",
            patch_with(rename, |op| {
                op.summary("Rename a person (?value=, 2-40 characters)")
            }),
        )
        .api_route(
            "/v1/users/people/{id}/speech-samples/{index}",
            delete_with(delete_speech_sample, |op| {
                op.summary("Delete a speech sample (404: no samples are stored yet)")
            }),
        )
        .with_path_items(|item| item.tag("people"))
}

/// Accepted for compatibility: there are no speech samples to include.
#[derive(Deserialize, JsonSchema)]
struct SamplesQuery {
    #[allow(dead_code)]
    include_speech_samples: Option<bool>,
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(_query): Params<SamplesQuery>,
) -> ApiResult<Json<Vec<PersonView>>> {
    Ok(Json(people::list(&state, &user.uid).await?))
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(input): Body<PersonInput>,
) -> ApiResult<Json<PersonView>> {
    Ok(Json(people::create(&state, &user.caller(), input).await?))
}

async fn get_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(_query): Params<SamplesQuery>,
) -> ApiResult<Json<PersonView>> {
    Ok(Json(people::read(&state, &user.uid, &id).await?))
}

#[derive(Deserialize, JsonSchema)]
struct NameQuery {
    /// The new name, 2 to 40 characters.
    value: String,
}

async fn rename(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<NameQuery>,
) -> ApiResult<Json<PersonView>> {
    Ok(Json(
        people::rename(&state, &user.caller(), &id, &query.value).await?,
    ))
}

async fn delete_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<NoContent> {
    people::delete(&state, &user.caller(), &id).await?;
    Ok(NoContent)
}

async fn delete_speech_sample(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, index)): Path<(String, String)>,
) -> ApiResult<NoContent> {
    people::delete_speech_sample(&state, &user.uid, &id, &index).await?;
    Ok(NoContent)
}
