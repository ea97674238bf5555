//! An app's chat tools (spec §5.5): the manifest at `external_integration.chat_tools_manifest_url` is fetched when
//! the app is created or edited (a failure leaves the tools as they were and is only logged) and when its owner
//! asks (`refresh`: 400 without a manifest URL, 502 when the fetch fails or the manifest is invalid). The tools
//! are recorded on the app, replacing the earlier ones.

use std::time::Duration;

use omi_domain::app::{App, AppCommand, ChatTool};
use omi_services::manifest::{self, ManifestError};
use omi_services::outbound::Outbound;
use schemars::JsonSchema;
use serde::Serialize;

use super::owned;
use crate::app::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time_input::now;

/// How long a manifest fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// `{"status": "ok", "tools_count": n}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Refreshed {
    pub status: &'static str,
    pub tools_count: usize,
}

/// Fetches the manifest of the caller's app again.
pub async fn refresh(state: &AppState, caller: &Caller, app_id: &str) -> ApiResult<Refreshed> {
    let listed = owned(state, &caller.uid, app_id).await?;
    let integration = listed.app.definition.external_integration.as_ref();
    let url = integration
        .and_then(|i| i.chat_tools_manifest_url.as_deref())
        .ok_or_else(|| ApiError::BadRequest("The app has no chat tools manifest URL".into()))?;
    let home = integration.and_then(|i| i.app_home_url.as_deref());
    let tools = fetch(state, url, home)
        .await
        .map_err(|error| ApiError::BadGateway(error.to_string()))?;
    let tools_count = tools.len();
    record(state, caller, app_id, tools).await?;
    Ok(Refreshed {
        status: "ok",
        tools_count,
    })
}

/// After a create or an edit: fetches the manifest when the app names one (a failure is logged and changes
/// nothing), and drops the tools of an app that no longer names one.
pub async fn after_edit(state: &AppState, caller: &Caller, app_id: &str) -> ApiResult<()> {
    let listed = owned(state, &caller.uid, app_id).await?;
    let integration = listed.app.definition.external_integration.as_ref();
    let Some(url) = integration.and_then(|i| i.chat_tools_manifest_url.as_deref()) else {
        if !listed.app.chat_tools.is_empty() {
            record(state, caller, app_id, Vec::new()).await?;
        }
        return Ok(());
    };
    let home = integration.and_then(|i| i.app_home_url.as_deref());
    match fetch(state, url, home).await {
        Ok(tools) if tools != listed.app.chat_tools => record(state, caller, app_id, tools).await,
        Ok(_) => Ok(()),
        Err(error) => {
            tracing::warn!(app = app_id, %error, "the app's chat tools manifest was not taken");
            Ok(())
        }
    }
}

async fn fetch(
    state: &AppState,
    url: &str,
    home: Option<&str>,
) -> Result<Vec<ChatTool>, ManifestError> {
    let outbound = Outbound::new(state.config.allow_private_outbound, FETCH_TIMEOUT);
    manifest::fetch(&outbound, url, home).await
}

async fn record(
    state: &AppState,
    caller: &Caller,
    app_id: &str,
    tools: Vec<ChatTool>,
) -> ApiResult<()> {
    let command = AppCommand::RecordChatTools {
        uid: caller.uid.clone(),
        tools,
        at: now(),
    };
    state
        .execute::<App>(app_id, command, &caller.metadata)
        .await?;
    Ok(())
}
