//! Apps (spec §7.1, `routers/apps.py`), the owner's and the user's side: create and edit with the multipart
//! `app_data` + `file`, delete, visibility, one app, the user's apps and enabled ids, enable and disable,
//! reviews and replies, and the app's `sk_` keys. The catalog is in `apps_catalog`, the admin's routes in
//! `apps_admin`.

use aide::axum::routing::{delete_with, get_with, patch_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_projections::apps::ReviewRecord;
use schemars::JsonSchema;
use serde::Deserialize;

use super::apps_form::AppForm;
use crate::app::apps::keys::{self, AppKeyView, CreatedAppKey, Revoked};
use crate::app::apps::reviews::{self, ReplyInput, ReviewInput};
use crate::app::apps::{self, installs, AppView, Created, Status};
use crate::error::ApiResult;
use crate::extract::{Body, CurrentUser, Params, Path};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/apps",
            get_with(list, |op| {
                op.summary("Every app you may see (list form), with enabled, ratings and installs")
            })
            .post_with(create, |op| {
                op.summary("Create an app (multipart app_data + file); it starts under review")
            }),
        )
        .api_route(
            "/v1/apps/enabled",
            get_with(enabled, |op| op.summary("The ids of the apps you enabled")),
        )
        .api_route(
            "/v1/apps/enable",
            post_with(enable, |op| {
                op.summary("Enable an app (?app_id=), after its setup check")
            }),
        )
        .api_route(
            "/v1/apps/disable",
            post_with(disable, |op| op.summary("Disable an app (?app_id=)")),
        )
        .api_route(
            "/v1/apps/review",
            post_with(review, |op| {
                op.summary("Review an app (?app_id=); again to rewrite your review")
            }),
        )
        .api_route(
            "/v1/apps/{app_id}",
            get_with(one, |op| op.summary("One app in full, with its reviews"))
                .patch_with(update, |op| {
                    op.summary("Edit your app (multipart app_data, optional file)")
                })
                .delete_with(delete, |op| op.summary("Delete your app")),
        )
        .api_route(
            "/v1/apps/{app_id}/change-visibility",
            patch_with(change_visibility, |op| {
                op.summary("Make your app private or public (?private=)")
            }),
        )
        .api_route(
            "/v1/apps/{app_id}/review",
            patch_with(update_review, |op| {
                op.summary("Rewrite your review of an app")
            }),
        )
        .api_route(
            "/v1/apps/{app_id}/review/reply",
            patch_with(reply, |op| op.summary("Answer a review of your app")),
        )
        .api_route(
            "/v1/apps/{app_id}/reviews",
            get_with(list_reviews, |op| {
                op.summary("The reviews of an app that say something, newest first")
            }),
        )
        .api_route(
            "/v1/apps/{app_id}/keys",
            get_with(list_keys, |op| op.summary("The sk_ keys of your app")).post_with(
                create_key,
                |op| {
                    op.summary("Create an sk_ key for your app (?label=); the secret is shown once")
                },
            ),
        )
        .api_route(
            "/v1/apps/{app_id}/keys/{key_id}",
            delete_with(revoke_key, |op| op.summary("Revoke an sk_ key of your app")),
        )
        .with_path_items(|item| item.tag("apps"))
}

/// `?include_reviews=`.
#[derive(Debug, Deserialize, JsonSchema)]
struct ListQuery {
    #[serde(default)]
    include_reviews: bool,
}

/// `?app_id=`.
#[derive(Debug, Deserialize, JsonSchema)]
struct AppIdQuery {
    app_id: String,
}

/// `?private=`.
#[derive(Debug, Deserialize, JsonSchema)]
struct VisibilityQuery {
    private: bool,
}

/// `?label=`.
#[derive(Debug, Deserialize, JsonSchema)]
struct KeyQuery {
    label: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<ListQuery>,
) -> ApiResult<Json<Vec<AppView>>> {
    Ok(Json(
        apps::available(&state, &user.uid, query.include_reviews).await?,
    ))
}

async fn enabled(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Vec<String>>> {
    Ok(Json(apps::enabled_ids(&state, &user.uid).await?))
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    form: AppForm,
) -> ApiResult<Json<Created>> {
    let created = apps::create(&state, &user.caller(), &form.app_data, form.file).await?;
    Ok(Json(created))
}

async fn one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(app_id): Path<String>,
) -> ApiResult<Json<AppView>> {
    Ok(Json(apps::one(&state, &user.uid, &app_id).await?))
}

async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(app_id): Path<String>,
    form: AppForm,
) -> ApiResult<Json<Status>> {
    let status = apps::update(&state, &user.caller(), &app_id, &form.app_data, form.file).await?;
    Ok(Json(status))
}

async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(app_id): Path<String>,
) -> ApiResult<Json<Status>> {
    Ok(Json(apps::delete(&state, &user.caller(), &app_id).await?))
}

async fn change_visibility(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(app_id): Path<String>,
    Params(query): Params<VisibilityQuery>,
) -> ApiResult<Json<Status>> {
    let status = apps::change_visibility(&state, &user.caller(), &app_id, query.private).await?;
    Ok(Json(status))
}

async fn enable(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<AppIdQuery>,
) -> ApiResult<Json<Status>> {
    Ok(Json(
        installs::enable(&state, &user.caller(), &query.app_id).await?,
    ))
}

async fn disable(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<AppIdQuery>,
) -> ApiResult<Json<Status>> {
    Ok(Json(
        installs::disable(&state, &user.caller(), &query.app_id).await?,
    ))
}

async fn review(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<AppIdQuery>,
    Body(input): Body<ReviewInput>,
) -> ApiResult<Json<Status>> {
    Ok(Json(
        reviews::submit(&state, &user.caller(), &query.app_id, input).await?,
    ))
}

async fn update_review(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(app_id): Path<String>,
    Body(input): Body<ReviewInput>,
) -> ApiResult<Json<Status>> {
    Ok(Json(
        reviews::update(&state, &user.caller(), &app_id, input).await?,
    ))
}

async fn reply(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(app_id): Path<String>,
    Body(input): Body<ReplyInput>,
) -> ApiResult<Json<Status>> {
    Ok(Json(
        reviews::reply(&state, &user.caller(), &app_id, input).await?,
    ))
}

async fn list_reviews(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
) -> ApiResult<Json<Vec<ReviewRecord>>> {
    Ok(Json(reviews::public(&state, &app_id).await?))
}

async fn list_keys(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(app_id): Path<String>,
) -> ApiResult<Json<Vec<AppKeyView>>> {
    Ok(Json(keys::list(&state, &user.caller(), &app_id).await?))
}

async fn create_key(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(app_id): Path<String>,
    Params(query): Params<KeyQuery>,
) -> ApiResult<Json<CreatedAppKey>> {
    Ok(Json(
        keys::create(&state, &user.caller(), &app_id, query.label).await?,
    ))
}

async fn revoke_key(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((app_id, key_id)): Path<(String, String)>,
) -> ApiResult<Json<Revoked>> {
    Ok(Json(
        keys::revoke(&state, &user.caller(), &app_id, &key_id).await?,
    ))
}
