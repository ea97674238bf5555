//! Enabling and disabling an app for a user, with the setup check of spec §5.6: an app with a
//! `setup_completed_url` is enabled only when `GET <url>?uid=<uid>` answers 200 with a JSON object whose
//! `is_setup_completed` is truthy.

use std::time::Duration;

use omi_domain::app::{per_user_stream_id, AppInstallation, AppInstallationCommand};
use omi_services::outbound::Outbound;
use serde_json::Value;

use super::{found, visible, Status};
use crate::app::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time_input::now;

/// How long the app's setup endpoint may take.
const SETUP_CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// The refusal when the setup check fails, whatever the reason.
pub const SETUP_NOT_COMPLETED: &str = "App setup is not completed";

/// Whether a JSON value counts as true the way Python's `bool()` reads it.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(fields) => !fields.is_empty(),
    }
}

/// Asks the app's setup endpoint whether `uid` finished its setup.
async fn setup_completed(state: &AppState, url: &str, uid: &str) -> bool {
    let outbound = Outbound::new(state.config.allow_private_outbound, SETUP_CHECK_TIMEOUT);
    let Ok(mut url) = outbound.permitted(url).await else {
        return false;
    };
    url.query_pairs_mut().append_pair("uid", uid);
    match outbound.get_json(url).await {
        Ok(Value::Object(fields)) => fields.get("is_setup_completed").is_some_and(truthy),
        Ok(_) => false,
        Err(error) => {
            tracing::info!(%error, "an app's setup check failed");
            false
        }
    }
}

/// Enables `app_id` for the caller: 404 when they cannot see it, 403 when it is another owner's private app,
/// 400 when its setup is not completed. A public app of another owner adds to its installs.
pub async fn enable(state: &AppState, caller: &Caller, app_id: &str) -> ApiResult<Status> {
    let listed = visible(state, &caller.uid, app_id).await?;
    let app = listed.app;
    let setup_url = app
        .definition
        .external_integration
        .as_ref()
        .and_then(|integration| integration.setup_completed_url.clone());
    if let Some(url) = setup_url {
        if !setup_completed(state, &url, &caller.uid).await {
            return Err(ApiError::BadRequest(SETUP_NOT_COMPLETED.into()));
        }
    }
    let command = AppInstallationCommand::EnableApp {
        app_id: app_id.to_string(),
        uid: caller.uid.clone(),
        counts_install: !app.private && app.uid != caller.uid,
        at: now(),
    };
    let stream = per_user_stream_id(app_id, &caller.uid);
    state
        .execute::<AppInstallation>(&stream, command, &caller.metadata)
        .await?;
    Ok(Status::ok())
}

/// Disables `app_id` for the caller (even if it became private since): 404 when it is not enabled.
pub async fn disable(state: &AppState, caller: &Caller, app_id: &str) -> ApiResult<Status> {
    found(state, app_id).await?;
    let command = AppInstallationCommand::DisableApp { at: now() };
    let stream = per_user_stream_id(app_id, &caller.uid);
    state
        .execute::<AppInstallation>(&stream, command, &caller.metadata)
        .await
        .map_err(|error| match error {
            ApiError::NotFound(_) => ApiError::NotFound("App is not enabled".into()),
            other => other,
        })?;
    Ok(Status::ok())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn truthiness_follows_python() {
        for value in [
            json!(true),
            json!(1),
            json!("yes"),
            json!([0]),
            json!({"a": 1}),
        ] {
            assert!(truthy(&value), "{value}");
        }
        for value in [
            json!(false),
            json!(0),
            json!(""),
            json!([]),
            json!({}),
            json!(null),
        ] {
            assert!(!truthy(&value), "{value}");
        }
    }
}
