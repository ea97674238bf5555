//! Who may use the app import API (spec §7.2): the checks every endpoint makes, in the reference's order —
//! an `sk_` key in the Authorization header (401), a key of the app in the path (403), the app (404), the app
//! enabled by the user in `?uid=` (403), and the action the endpoint needs declared by the app (403).

use omi_domain::app::ActionType;
use omi_projections::apps as read;

use super::keys::{hash_secret, PREFIX};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The refusal of a missing or malformed Authorization header.
pub const MISSING_KEY: &str = "Missing or invalid Authorization header. Must be 'Bearer API_KEY'";

/// What the refusal of a missing action says it cannot do.
fn capability_refusal(action: ActionType) -> ApiError {
    let what = match action {
        ActionType::CreateConversation => "create conversations",
        ActionType::CreateFacts => "create memories",
        ActionType::ReadMemories => "read memories",
        ActionType::ReadConversations => "read conversations",
        ActionType::ReadTasks => "read tasks",
    };
    ApiError::Forbidden(format!("App does not have the capability to {what}"))
}

/// Lets the request through when `authorization` holds a live key of `app_id`, the app is enabled by `uid`
/// and declares `action` (when the endpoint needs one).
pub async fn authorize(
    state: &AppState,
    authorization: Option<&str>,
    app_id: &str,
    uid: &str,
    action: Option<ActionType>,
) -> ApiResult<()> {
    let secret = authorization
        .and_then(|header| header.strip_prefix("Bearer "))
        .and_then(|key| key.trim().strip_prefix(PREFIX))
        .filter(|secret| !secret.is_empty())
        .ok_or_else(|| ApiError::Unauthorized(MISSING_KEY.into()))?;
    let hashed = hash_secret(secret);
    let listed = match super::found(state, app_id).await {
        Ok(listed) => Some(listed),
        Err(ApiError::NotFound(_)) => None,
        Err(other) => return Err(other),
    };
    let key_matches = listed
        .as_ref()
        .is_some_and(|l| l.app.keys.iter().any(|key| key.hashed_key == hashed));
    if !key_matches {
        return Err(ApiError::Forbidden("Invalid API key".into()));
    }
    let listed = listed.ok_or_else(|| ApiError::NotFound("App not found".into()))?;
    if read::installation(&state.database, app_id, uid)
        .await?
        .is_none()
    {
        return Err(ApiError::Forbidden(
            "App is not enabled for this user".into(),
        ));
    }
    if let Some(action) = action {
        let declared = listed
            .app
            .definition
            .external_integration
            .as_ref()
            .is_some_and(|integration| integration.allows(action));
        if !declared {
            return Err(capability_refusal(action));
        }
    }
    Ok(())
}
