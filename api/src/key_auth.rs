//! Authentication by API key for `/v1/dev/user/*` (developer keys) and `/v1/mcp/*` (MCP keys): a middleware
//! finds the key by its hash, refuses other token families with a hint, counts the request against the rate
//! limits, and stamps every response with the `X-RateLimit-*` headers.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use omi_commands::{Actor, Metadata};
use omi_domain::api_key::{ApiKey, ApiKeyCommand, KeyFamily, Scope};
use omi_projections::api_keys::{self, KeyRecord};

use crate::error::{ApiError, ApiResult};
use crate::key_material::{hash_secret, split};
use crate::rate_limit::{self, Limits};
use crate::request_id::RequestId;
use crate::state::AppState;
use crate::time_input::now;

/// The key a request came with, once authenticated.
#[derive(Debug, Clone)]
pub struct KeyHolder {
    pub uid: String,
    pub key_id: String,
    pub family: KeyFamily,
    pub scopes: Vec<Scope>,
    pub request_id: String,
}

impl KeyHolder {
    /// The metadata of the events this request records: the key is the actor.
    pub fn metadata(&self) -> Metadata {
        let actor = match self.family {
            KeyFamily::Developer => Actor::DeveloperKey(self.key_id.clone()),
            KeyFamily::Mcp => Actor::McpKey(self.key_id.clone()),
        };
        Metadata::new(self.uid.clone(), actor, self.request_id.clone())
    }

    /// The key's user as the application layer's caller, the key the actor.
    pub fn caller(&self) -> crate::app::Caller {
        crate::app::Caller::new(&self.uid, self.metadata())
    }

    /// Refuses the request unless the key has `scope` (MCP keys may do everything a user may).
    pub fn require(&self, scope: Scope) -> ApiResult<()> {
        if self.family == KeyFamily::Mcp || self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "Insufficient permissions. Required scope: {}",
                scope.as_str()
            )))
        }
    }
}

impl KeyHolder {
    /// The holder of a key found by [`find`], for one request.
    pub fn of(record: &KeyRecord, request_id: String) -> KeyHolder {
        KeyHolder {
            uid: record.uid.clone(),
            key_id: record.key.id.clone(),
            family: record.family,
            scopes: record.key.scopes.clone(),
            request_id,
        }
    }
}

/// The live key of family `expected` that `presented` (the raw key, without `Bearer`) is: 401 with a hint
/// for another token family, 401 for an unknown or revoked key.
pub async fn find(state: &AppState, expected: KeyFamily, presented: &str) -> ApiResult<KeyRecord> {
    let secret = match split(presented) {
        Some((family, secret)) if family == expected => secret,
        _ => return Err(ApiError::Unauthorized(hint(expected, presented))),
    };
    match api_keys::by_hash(&state.database, &hash_secret(secret)).await? {
        Some(record) if record.family == expected => Ok(record),
        _ => Err(ApiError::Unauthorized("Invalid API key".into())),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for KeyHolder {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<KeyHolder>().cloned().ok_or_else(|| {
            ApiError::Internal("key authentication is not installed on this route".into())
        })
    }
}

/// The middleware for developer-key routes.
pub async fn developer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    authenticate(state, KeyFamily::Developer, request, next).await
}

/// The middleware for MCP-key routes (the bare key without `Bearer` is accepted too).
pub async fn mcp(State(state): State<AppState>, request: Request, next: Next) -> Response {
    authenticate(state, KeyFamily::Mcp, request, next).await
}

fn hint(expected: KeyFamily, presented: &str) -> String {
    let wanted = match expected {
        KeyFamily::Developer => "this endpoint needs a developer API key (Bearer omi_dev_...)",
        KeyFamily::Mcp => "this endpoint needs an MCP API key (Bearer omi_mcp_...)",
    };
    match split(presented).map(|(family, _)| family) {
        Some(KeyFamily::Developer) => {
            format!("Developer API keys (omi_dev_...) are for /v1/dev/user/* endpoints; {wanted}")
        }
        Some(KeyFamily::Mcp) => {
            format!("MCP API keys (omi_mcp_...) are for /v1/mcp/* endpoints; {wanted}")
        }
        None if presented.starts_with("sk_") => {
            format!("App API keys (sk_...) are for /v2/integrations/*; {wanted}")
        }
        None => format!("User tokens are for the app's endpoints; {wanted}"),
    }
}

async fn authenticate(
    state: AppState,
    expected: KeyFamily,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = match request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str())
    {
        None => {
            return ApiError::Unauthorized("Authorization header not found".into()).into_response()
        }
        Some(Err(_)) => {
            return ApiError::Unauthorized("Invalid authorization token".into()).into_response()
        }
        Some(Ok(value)) => {
            let value = value.trim();
            match value.split_once(' ') {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                    token.trim().to_string()
                }
                // The MCP transports also take the bare key.
                None if expected == KeyFamily::Mcp => value.to_string(),
                _ => {
                    return ApiError::Unauthorized("Invalid authorization token".into())
                        .into_response()
                }
            }
        }
    };
    let record = match find(&state, expected, &presented).await {
        Ok(record) => record,
        Err(error) => return error.into_response(),
    };
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let holder = KeyHolder::of(&record, request_id);
    let limits = Limits {
        per_key_per_minute: state.config.rate_per_key_per_minute,
        per_user_per_day: state.config.rate_per_user_per_day,
    };
    let decision =
        match rate_limit::count(&state.database, limits, &holder.key_id, &holder.uid).await {
            Ok(decision) => decision,
            Err(error) => return ApiError::Internal(error.to_string()).into_response(),
        };
    if !decision.allowed {
        let mut response =
            ApiError::TooManyRequests("Rate limit exceeded; retry after the window resets".into())
                .into_response();
        response.headers_mut().extend(decision.headers());
        return response;
    }
    // `last_used_at`: the aggregate records at most one use a minute; skip the command when the read model
    // already shows a recent one.
    let stale = record
        .key
        .last_used_at
        .is_none_or(|last| now().signed_duration_since(last).num_seconds() >= 60);
    if stale {
        let command = ApiKeyCommand::RecordUse { at: now() };
        if let Err(error) = state
            .commands
            .execute::<ApiKey>(&holder.key_id, command, &holder.metadata())
            .await
        {
            tracing::debug!(%error, "key use not recorded");
        }
    }
    request.extensions_mut().insert(holder);
    let mut response = next.run(request).await;
    response.headers_mut().extend(decision.headers());
    response
}
