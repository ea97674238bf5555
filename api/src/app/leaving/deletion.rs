//! `DELETE /v1/users/delete-account`: records the erasure of the caller's account, which every door refuses from
//! then on, and starts the job that removes their data (see [`crate::erasure`]).

use omi_store::erasure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::validation::{check_length, Problems};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The longest `reason` taken.
pub const MAX_REASON: usize = 500;
/// The longest `reason_details` taken.
pub const MAX_REASON_DETAILS: usize = 5_000;

/// Why the user leaves (optional). Checked for size and then dropped: the erasure keeps nothing the user wrote.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct DeleteAccountInput {
    /// At most 500 characters.
    pub reason: Option<String>,
    /// At most 5,000 characters.
    pub reason_details: Option<String>,
}

/// The answer: the account is closed and its data is being removed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DeleteAccountAnswer {
    /// `ok`.
    pub status: String,
    pub message: String,
}

/// Records the erasure of `uid` (422 for a reason over its limit, and then nothing is recorded) and starts the
/// erasure job in the background.
pub async fn delete_account(
    state: &AppState,
    uid: &str,
    input: DeleteAccountInput,
) -> ApiResult<DeleteAccountAnswer> {
    let mut problems = Problems::new();
    if let Some(reason) = &input.reason {
        check_length(&mut problems, "body.reason", "reason", reason, MAX_REASON);
    }
    if let Some(details) = &input.reason_details {
        check_length(
            &mut problems,
            "body.reason_details",
            "reason_details",
            details,
            MAX_REASON_DETAILS,
        );
    }
    problems.finish()?;
    erasure::request_erasure(&state.database, uid, chrono::Utc::now().timestamp_micros())
        .await
        .map_err(|error| ApiError::Internal(error.to_string()))?;
    crate::erasure::start(state);
    Ok(DeleteAccountAnswer {
        status: "ok".into(),
        message: "The account is closed and all of its data is being erased".into(),
    })
}
