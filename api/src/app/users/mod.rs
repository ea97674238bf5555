//! A user's profile and settings (spec §7.10), what every door may read and change: the profile with its time
//! zone, language and transcription preferences, onboarding, consents (store-recording permission, private cloud
//! sync, training-data opt-in), the last geolocation, mentor notifications, conversation-summary ratings, and
//! the plan and usage of a self-hosted server (`plans`). A user who never changed anything reads the defaults:
//! every authenticated uid is a user here.

pub mod consents;
pub mod plans;
pub mod preferences;
pub mod profile;
pub mod ratings;

use omi_domain::user::{user_stream_id, User, UserCommand};
use omi_projections::users;

use super::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// The user's settings as the `users` read model holds them (the defaults when they never changed anything).
pub async fn settings(state: &AppState, uid: &str) -> ApiResult<User> {
    Ok(users::user_of(&state.database, uid).await?)
}

/// Sends `command` to the caller's user stream and waits for the read models.
async fn execute(state: &AppState, caller: &Caller, command: UserCommand) -> ApiResult<()> {
    state
        .execute::<User>(&user_stream_id(&caller.uid), command, &caller.metadata)
        .await?;
    Ok(())
}
