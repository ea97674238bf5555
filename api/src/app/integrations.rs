//! Account integrations (spec §7.3): connection records per user and integration key, Apple Health metrics
//! synced from a device, and the OAuth authorization-code flow of the providers the reference names (Google
//! Calendar): a signed state of ten minutes ties the callback to the user, and a connection records the state
//! it consumed, so a state is used once. Tokens are kept in the log, never answered back.

use chrono::{DateTime, Utc};
use omi_domain::integration::{
    canonical_key, integration_id, is_valid_key, Integration, IntegrationCommand, APPLE_HEALTH,
    MAX_TOKEN_CHARS,
};
use omi_projections::integrations;
use omi_services::oauth::OAuthProvider;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::validation::{check_length, Problems};
use super::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The integration key of Google Calendar, the one OAuth provider of the reference.
pub const GOOGLE_CALENDAR: &str = "google_calendar";
/// How long an OAuth state is valid.
const STATE_MINUTES: i64 = 10;

/// The key of a path, as stored (`apple-health` is `apple_health`), or 422.
pub fn checked_key(key: &str) -> ApiResult<String> {
    if is_valid_key(key) {
        Ok(canonical_key(key))
    } else {
        Err(ApiError::invalid(
            "path.app_key",
            "app_key must be 1 to 64 of a-z, 0-9, _ and -",
        ))
    }
}

/// Whether an integration is connected.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IntegrationStatus {
    pub connected: bool,
    pub app_key: String,
}

/// `PUT /v1/integrations/{app_key}`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ConnectionInput {
    /// `false` disconnects.
    #[serde(default = "yes")]
    pub connected: bool,
    /// At most 8192 characters.
    pub access_token: Option<String>,
    /// At most 8192 characters.
    pub refresh_token: Option<String>,
}

fn yes() -> bool {
    true
}

/// The answer of a change: `{"status": "ok", "app_key"}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Changed {
    pub status: String,
    pub app_key: String,
}

/// The user's integration `key`.
pub async fn status(state: &AppState, uid: &str, key: &str) -> ApiResult<IntegrationStatus> {
    let key = checked_key(key)?;
    let connected = integrations::get(&state.database, uid, &key)
        .await?
        .is_some_and(|view| view.connected);
    Ok(IntegrationStatus {
        connected,
        app_key: key,
    })
}

/// Connects (or with `connected: false` disconnects) the user's integration `key`.
pub async fn connect(
    state: &AppState,
    caller: &Caller,
    key: &str,
    input: ConnectionInput,
) -> ApiResult<Changed> {
    let key = checked_key(key)?;
    let mut problems = Problems::new();
    for (loc, name, token) in [
        ("body.access_token", "access_token", &input.access_token),
        ("body.refresh_token", "refresh_token", &input.refresh_token),
    ] {
        if let Some(token) = token {
            check_length(&mut problems, loc, name, token, MAX_TOKEN_CHARS);
        }
    }
    problems.finish()?;
    let id = integration_id(&caller.uid, &key);
    if !input.connected {
        if status(state, &caller.uid, &key).await?.connected {
            disconnect(state, caller, &key).await?;
        }
    } else {
        let command = IntegrationCommand::Connect {
            uid: caller.uid.clone(),
            key: key.clone(),
            access_token: input.access_token,
            refresh_token: input.refresh_token,
            state: None,
            at: state.clock.now(),
        };
        state
            .execute::<Integration>(&id, command, &caller.metadata)
            .await?;
    }
    Ok(Changed {
        status: "ok".into(),
        app_key: key,
    })
}

/// Disconnects the user's integration `key`; 404 when it is not connected.
pub async fn disconnect(state: &AppState, caller: &Caller, key: &str) -> ApiResult<()> {
    let key = checked_key(key)?;
    let command = IntegrationCommand::Disconnect {
        uid: caller.uid.clone(),
        at: state.clock.now(),
    };
    state
        .execute::<Integration>(
            &integration_id(&caller.uid, &key),
            command,
            &caller.metadata,
        )
        .await
        .map_err(|error| match error {
            ApiError::NotFound(_) => ApiError::NotFound("Integration not found".into()),
            other => other,
        })?;
    Ok(())
}

/// `PUT /v1/integrations/apple-health/sync`: metrics a device aggregated over `period_days`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct HealthSync {
    /// 1 to 365; 7 when absent.
    pub period_days: Option<u32>,
    /// Totals and daily values.
    pub steps: Option<Value>,
    /// Hours, sessions and daily values.
    pub sleep: Option<Value>,
    /// Average, minimum and maximum.
    pub heart_rate: Option<Value>,
    pub active_energy: Option<Value>,
    pub workouts: Option<Value>,
}

/// The answer of a sync.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Synced {
    pub status: String,
    pub app_key: String,
    pub synced_at: DateTime<Utc>,
    /// The metric kinds the sync held, by name.
    pub data_types_synced: Vec<String>,
}

/// Records the synced metrics as the user's Apple Health data (connecting it). 422 when `period_days` is out of
/// 1..=365 or the sync holds no metric.
pub async fn sync_health(state: &AppState, caller: &Caller, sync: HealthSync) -> ApiResult<Synced> {
    let period_days = sync.period_days.unwrap_or(7);
    let mut problems = Problems::new();
    if !(1..=365).contains(&period_days) {
        problems.add("body.period_days", "period_days must be between 1 and 365");
    }
    let mut data = Map::new();
    data.insert("period_days".into(), Value::from(period_days));
    let mut types = Vec::new();
    for (name, value) in [
        ("steps", sync.steps),
        ("sleep", sync.sleep),
        ("heart_rate", sync.heart_rate),
        ("active_energy", sync.active_energy),
        ("workouts", sync.workouts),
    ] {
        if let Some(value) = value.filter(|value| !value.is_null()) {
            types.push(name.to_string());
            data.insert(name.into(), value);
        }
    }
    if types.is_empty() {
        problems.add("body", "the sync holds no health metric");
    }
    problems.finish()?;
    let at = state.clock.now();
    let command = IntegrationCommand::SyncHealthData {
        uid: caller.uid.clone(),
        key: APPLE_HEALTH.into(),
        data: Value::Object(data),
        data_types: types.clone(),
        at,
    };
    state
        .execute::<Integration>(
            &integration_id(&caller.uid, APPLE_HEALTH),
            command,
            &caller.metadata,
        )
        .await?;
    Ok(Synced {
        status: "ok".into(),
        app_key: APPLE_HEALTH.into(),
        synced_at: at,
        data_types_synced: types,
    })
}

/// `{auth_url}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuthUrl {
    pub auth_url: String,
}

/// The provider of `key` and where its callback lands, or 400 for a key without OAuth, 503 when this server has
/// no client for it.
fn provider<'a>(state: &'a AppState, key: &str) -> ApiResult<(&'a OAuthProvider, String)> {
    if key != GOOGLE_CALENDAR {
        return Err(ApiError::BadRequest(format!(
            "OAuth is not supported for {key}"
        )));
    }
    let provider = state.config.google_calendar.as_ref().ok_or_else(|| {
        ApiError::Unavailable(
            "google_calendar is not configured on this server (GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET)".into(),
        )
    })?;
    let redirect = format!("{}/v2/integrations/{key}/callback", state.config.public_url);
    Ok((provider, redirect))
}

/// The provider's URL that asks the user for access, with a fresh state for the callback.
pub async fn oauth_url(state: &AppState, uid: &str, key: &str) -> ApiResult<AuthUrl> {
    let key = checked_key(key)?;
    let (provider, redirect) = provider(state, &key)?;
    let token =
        state
            .auth
            .local()
            .issue_oauth_state(uid, &key, chrono::Duration::minutes(STATE_MINUTES));
    Ok(AuthUrl {
        auth_url: provider.authorization_url(&redirect, &token),
    })
}

/// Why a callback did not connect, as the deep link's `error` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackError {
    MissingCode,
    InvalidState,
    ConfigError,
    ServerError,
}

impl CallbackError {
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackError::MissingCode => "missing_code",
            CallbackError::InvalidState => "invalid_state",
            CallbackError::ConfigError => "config_error",
            CallbackError::ServerError => "server_error",
        }
    }
}

/// The provider's redirect: checks the state (signed by this server, unexpired, for this key, unused, its user
/// not erased), trades the code for tokens and connects the integration.
pub async fn callback(
    state: &AppState,
    key: &str,
    code: Option<&str>,
    oauth_state: Option<&str>,
) -> Result<(), CallbackError> {
    let key = checked_key(key).map_err(|_| CallbackError::InvalidState)?;
    let code = code
        .filter(|code| !code.is_empty() && code.len() <= 4096)
        .ok_or(CallbackError::MissingCode)?;
    let issued = oauth_state
        .and_then(|token| state.auth.local().verify_oauth_state(token))
        .filter(|issued| issued.key == key)
        .ok_or(CallbackError::InvalidState)?;
    if crate::erasure::refuse_erased(&state.database, &issued.uid)
        .await
        .is_err()
    {
        return Err(CallbackError::InvalidState);
    }
    let (provider, redirect) = provider(state, &key).map_err(|_| CallbackError::ConfigError)?;
    let tokens = provider.exchange(code, &redirect).await.map_err(|error| {
        tracing::warn!(%error, key, "OAuth code exchange failed");
        CallbackError::ServerError
    })?;
    let metadata = omi_commands::Metadata::new(
        issued.uid.clone(),
        omi_commands::Actor::User,
        omi_commands::Metadata::new_correlation_id(),
    );
    let command = IntegrationCommand::Connect {
        uid: issued.uid.clone(),
        key: key.clone(),
        access_token: Some(tokens.access_token),
        refresh_token: tokens.refresh_token,
        state: Some(issued.nonce),
        at: state.clock.now(),
    };
    match state
        .execute::<Integration>(&integration_id(&issued.uid, &key), command, &metadata)
        .await
    {
        Ok(_) => Ok(()),
        Err(ApiError::Conflict(_)) => Err(CallbackError::InvalidState),
        Err(error) => {
            tracing::warn!(%error, key, "OAuth connection not recorded");
            Err(CallbackError::ServerError)
        }
    }
}
