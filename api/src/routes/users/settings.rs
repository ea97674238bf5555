//! Language, transcription preferences, onboarding, mentor notifications and the consents.

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::users::consents::{
    self, PrivateCloudSync, StoreRecordingPermission, TrainingDataOptIn,
};
use crate::app::users::preferences::{
    self, LanguageChanged, LanguageUpdate, LanguageView, MentorNotificationSettings,
    OnboardingUpdate, OnboardingView, TranscriptionPreferences, TranscriptionPreferencesUpdate,
};
use crate::error::ApiResult;
use crate::extract::{Body, CurrentUser, Params};
use crate::state::AppState;

pub(super) fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/users/language",
            get_with(language, |op| {
                op.summary("The user's language (empty until chosen)")
            })
            .patch_with(change_language, |op| {
                op.summary("Set the language; answers whether single-language mode follows")
            }),
        )
        .api_route(
            "/v1/users/transcription-preferences",
            get_with(transcription_preferences, |op| {
                op.summary("Transcription preferences")
            })
            .patch_with(change_transcription_preferences, |op| {
                op.summary("Change single-language mode and the vocabulary (at most 100 entries)")
            }),
        )
        .api_route(
            "/v1/users/onboarding",
            get_with(onboarding, |op| op.summary("Onboarding state"))
                .patch_with(change_onboarding, |op| {
                    op.summary("Change the onboarding state")
                }),
        )
        .api_route(
            "/v1/users/mentor-notification-settings",
            get_with(mentor_notifications, |op| {
                op.summary("Mentor-notification frequency (0 off .. 5, default 3)")
            })
            .patch_with(change_mentor_notifications, |op| {
                op.summary("Set the mentor-notification frequency (0-5, else 422)")
            }),
        )
        .api_route(
            "/v1/users/store-recording-permission",
            get_with(store_recording_permission, |op| {
                op.summary("Whether recordings may be stored")
            })
            .post_with(set_store_recording_permission, |op| {
                op.summary("Grant or revoke the permission (?value=true|false)")
            })
            .delete_with(revoke_store_recording_permission, |op| {
                op.summary("Revoke the permission (this server stores no recordings to delete)")
            }),
        )
        .api_route(
            "/v1/users/private-cloud-sync",
            get_with(private_cloud_sync, |op| {
                op.summary("Whether private cloud sync is on")
            })
            .post_with(set_private_cloud_sync, |op| {
                op.summary("Turn private cloud sync on or off (?value=true|false)")
            }),
        )
        .api_route(
            "/v1/users/training-data-opt-in",
            get_with(training_data_opt_in, |op| {
                op.summary("The training-data opt-in")
            })
            .post_with(opt_in_to_training_data, |op| {
                op.summary("Opt in to training data (pending review; turns private cloud sync on)")
            }),
        )
}

async fn language(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<LanguageView>> {
    Ok(Json(preferences::language(&state, &user.uid).await?))
}

async fn change_language(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(update): Body<LanguageUpdate>,
) -> ApiResult<Json<LanguageChanged>> {
    Ok(Json(
        preferences::change_language(&state, &user.caller(), update).await?,
    ))
}

async fn transcription_preferences(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<TranscriptionPreferences>> {
    Ok(Json(
        preferences::transcription_preferences(&state, &user.uid).await?,
    ))
}

async fn change_transcription_preferences(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(update): Body<TranscriptionPreferencesUpdate>,
) -> ApiResult<Json<TranscriptionPreferences>> {
    Ok(Json(
        preferences::change_transcription_preferences(&state, &user.caller(), update).await?,
    ))
}

async fn onboarding(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<OnboardingView>> {
    Ok(Json(preferences::onboarding(&state, &user.uid).await?))
}

async fn change_onboarding(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(update): Body<OnboardingUpdate>,
) -> ApiResult<Json<OnboardingView>> {
    Ok(Json(
        preferences::change_onboarding(&state, &user.caller(), update).await?,
    ))
}

async fn mentor_notifications(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<MentorNotificationSettings>> {
    Ok(Json(
        preferences::mentor_notifications(&state, &user.uid).await?,
    ))
}

async fn change_mentor_notifications(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(update): Body<MentorNotificationSettings>,
) -> ApiResult<Json<MentorNotificationSettings>> {
    Ok(Json(
        preferences::change_mentor_notifications(&state, &user.caller(), update).await?,
    ))
}

/// `?value=true|false`.
#[derive(Deserialize, JsonSchema)]
struct Toggle {
    value: bool,
}

async fn store_recording_permission(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<StoreRecordingPermission>> {
    Ok(Json(
        consents::store_recording_permission(&state, &user.uid).await?,
    ))
}

async fn set_store_recording_permission(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(toggle): Params<Toggle>,
) -> ApiResult<Json<StoreRecordingPermission>> {
    Ok(Json(
        consents::set_store_recording_permission(&state, &user.caller(), toggle.value).await?,
    ))
}

async fn revoke_store_recording_permission(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<StoreRecordingPermission>> {
    Ok(Json(
        consents::revoke_store_recording_permission(&state, &user.caller()).await?,
    ))
}

async fn private_cloud_sync(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<PrivateCloudSync>> {
    Ok(Json(consents::private_cloud_sync(&state, &user.uid).await?))
}

async fn set_private_cloud_sync(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(toggle): Params<Toggle>,
) -> ApiResult<Json<PrivateCloudSync>> {
    Ok(Json(
        consents::set_private_cloud_sync(&state, &user.caller(), toggle.value).await?,
    ))
}

async fn training_data_opt_in(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<TrainingDataOptIn>> {
    Ok(Json(
        consents::training_data_opt_in(&state, &user.uid).await?,
    ))
}

async fn opt_in_to_training_data(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<TrainingDataOptIn>> {
    Ok(Json(
        consents::opt_in_to_training_data(&state, &user.caller()).await?,
    ))
}
