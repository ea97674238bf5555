//! What the user allows: storing recordings, private cloud sync, and the training-data opt-in.

use omi_domain::user::{TrainingDataStatus, UserCommand};
use schemars::JsonSchema;
use serde::Serialize;

use super::{execute, settings};
use crate::app::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// `{store_recording_permission}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StoreRecordingPermission {
    pub store_recording_permission: bool,
}

/// `{private_cloud_sync_enabled}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PrivateCloudSync {
    pub private_cloud_sync_enabled: bool,
}

/// `{opted_in, status}`: `status` is `pending_review` once opted in, null before.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TrainingDataOptIn {
    pub opted_in: bool,
    pub status: Option<TrainingDataStatus>,
}

/// Whether recordings may be stored.
pub async fn store_recording_permission(
    state: &AppState,
    uid: &str,
) -> ApiResult<StoreRecordingPermission> {
    Ok(StoreRecordingPermission {
        store_recording_permission: settings(state, uid).await?.store_recording_permission,
    })
}

/// Grants or revokes the permission to store recordings.
pub async fn set_store_recording_permission(
    state: &AppState,
    caller: &Caller,
    granted: bool,
) -> ApiResult<StoreRecordingPermission> {
    let command = UserCommand::SetStoreRecordingPermission {
        uid: caller.uid.clone(),
        granted,
        at: state.clock.now(),
    };
    execute(state, caller, command).await?;
    store_recording_permission(state, &caller.uid).await
}

/// Revokes the permission. The reference also deletes the stored recordings; this server stores none (audio is
/// transcribed and dropped), so there is nothing else to delete.
pub async fn revoke_store_recording_permission(
    state: &AppState,
    caller: &Caller,
) -> ApiResult<StoreRecordingPermission> {
    set_store_recording_permission(state, caller, false).await
}

/// Whether private cloud sync is on.
pub async fn private_cloud_sync(state: &AppState, uid: &str) -> ApiResult<PrivateCloudSync> {
    Ok(PrivateCloudSync {
        private_cloud_sync_enabled: settings(state, uid).await?.private_cloud_sync_enabled,
    })
}

/// Turns private cloud sync on or off.
pub async fn set_private_cloud_sync(
    state: &AppState,
    caller: &Caller,
    enabled: bool,
) -> ApiResult<PrivateCloudSync> {
    let command = UserCommand::SetPrivateCloudSync {
        uid: caller.uid.clone(),
        enabled,
        at: state.clock.now(),
    };
    execute(state, caller, command).await?;
    private_cloud_sync(state, &caller.uid).await
}

/// Whether the user opted in to training data.
pub async fn training_data_opt_in(state: &AppState, uid: &str) -> ApiResult<TrainingDataOptIn> {
    let status = settings(state, uid).await?.training_data;
    Ok(TrainingDataOptIn {
        opted_in: status.is_some(),
        status,
    })
}

/// Opts in (pending review) and turns private cloud sync on; again changes nothing.
pub async fn opt_in_to_training_data(
    state: &AppState,
    caller: &Caller,
) -> ApiResult<TrainingDataOptIn> {
    let command = UserCommand::OptInToTrainingData {
        uid: caller.uid.clone(),
        at: state.clock.now(),
    };
    execute(state, caller, command).await?;
    training_data_opt_in(state, &caller.uid).await
}
