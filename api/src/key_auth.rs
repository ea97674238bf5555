//! Authentication by API key for `/v1/dev/user/*` (developer keys) and `/v1/mcp/*` (MCP keys): a middleware
//! finds the key by its hash, refuses other token families with a hint, counts the request against the rate
//! limits, and stamps every response with the `X-RateLimit-*` headers. [`behind_key`] installs it on a router
//! and describes it in the OpenAPI document in the same step.

use aide::axum::ApiRouter;
use aide::generate::{in_context, GenContext};
use aide::openapi::{Operation, PathItem, Response as DocumentedResponse};
use aide::OperationInput;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use omi_commands::{Actor, Metadata};
use omi_domain::api_key::{ApiKey, ApiKeyCommand, KeyFamily, Scope};
use omi_projections::api_keys::{self, KeyRecord};

use crate::error::{error_response, ApiError, ApiResult};
use crate::key_material::{hash_secret, split};
use crate::openapi::{ensure_response, ensure_security, header};
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
/// for another token family, 401 for an unknown or revoked key and for a key of an erased account.
pub async fn find(state: &AppState, expected: KeyFamily, presented: &str) -> ApiResult<KeyRecord> {
    let secret = match split(presented) {
        Some((family, secret)) if family == expected => secret,
        _ => return Err(ApiError::Unauthorized(hint(expected, presented))),
    };
    match api_keys::by_hash(&state.database, &hash_secret(secret)).await? {
        Some(record) if record.family == expected => {
            crate::erasure::refuse_erased(&state.database, &record.uid).await?;
            Ok(record)
        }
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

/// Nothing of its own: what a key route requires and answers is described by [`behind_key`], which installs
/// the authentication (the family is the router's, not the extractor's).
impl OperationInput for KeyHolder {}

/// `routes` behind key authentication of `family`: the middleware on each route, and for each operation of the
/// document the security requirement (`developerKey` or `mcpKey`), 401 and 429, and the rate-limit headers.
pub fn behind_key(
    routes: ApiRouter<AppState>,
    state: AppState,
    family: KeyFamily,
) -> ApiRouter<AppState> {
    let scheme = match family {
        KeyFamily::Developer => "developerKey",
        KeyFamily::Mcp => "mcpKey",
    };
    let layer = middleware::from_fn_with_state((state, family), of_family);
    routes
        .with_path_items(|mut item| {
            in_context(|ctx| describe_key_auth(ctx, item.inner_mut(), scheme));
            item
        })
        .route_layer(layer)
}

/// The part of each operation of `item` that key authentication answers for.
fn describe_key_auth(ctx: &mut GenContext, item: &mut PathItem, scheme: &str) {
    let operations = [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ];
    for operation in operations.into_iter().flatten() {
        describe_operation(ctx, operation, scheme);
    }
}

fn describe_operation(ctx: &mut GenContext, operation: &mut Operation, scheme: &str) {
    ensure_security(operation, scheme);
    ensure_response(operation, Some(401), || {
        error_response(
            ctx,
            "No valid key of this family (another family's key gets a hint)",
        )
    });
    ensure_response(operation, Some(429), || {
        let mut response = error_response(ctx, "Rate limit exceeded");
        response.headers.insert(
            "Retry-After".into(),
            header(
                "Seconds until the window resets",
                schemars::json_schema!({"type": "integer", "minimum": 1}),
            ),
        );
        response
    });
    let responses = operation.responses.get_or_insert_with(Default::default);
    for (status, answer) in &mut responses.responses {
        if let (aide::openapi::ReferenceOr::Item(answer), true) =
            (answer, *status != aide::openapi::StatusCode::Code(401))
        {
            stamp_rate_limit_headers(answer, true);
        }
    }
    if let Some(aide::openapi::ReferenceOr::Item(answer)) = &mut responses.default {
        // Not when the failure came before the count (the store could not count).
        stamp_rate_limit_headers(answer, false);
    }
}

/// The `X-RateLimit-*` headers of every answer to a request that was counted.
fn stamp_rate_limit_headers(response: &mut DocumentedResponse, required: bool) {
    for (name, description) in [
        (
            "X-RateLimit-Limit",
            "Requests allowed in the current window",
        ),
        (
            "X-RateLimit-Remaining",
            "Requests left in the current window",
        ),
        ("X-RateLimit-Reset", "When the window resets (Unix seconds)"),
    ] {
        response.headers.entry(name.into()).or_insert_with(|| {
            let mut documented = header(description, schemars::json_schema!({"type": "integer"}));
            if let aide::openapi::ReferenceOr::Item(documented) = &mut documented {
                documented.required = required;
            }
            documented
        });
    }
}

/// The middleware for routes of keys of one family.
async fn of_family(
    State((state, family)): State<(AppState, KeyFamily)>,
    request: Request,
    next: Next,
) -> Response {
    authenticate(state, family, request, next).await
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

#[cfg(test)]
mod tests {
    use aide::axum::routing::get;
    use axum::Json;

    use super::*;
    use crate::openapi::document::{assemble, ScratchState};

    async fn key_count(_holder: KeyHolder) -> Json<u32> {
        Json(1)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn routes_behind_a_key_document_its_scheme_and_its_answers() {
        let scratch = ScratchState::new().await;
        let state = scratch.state.clone();
        let assembled = assemble(|| {
            behind_key(
                ApiRouter::new().api_route("/v1/dev/user/count", get(key_count)),
                state,
                KeyFamily::Developer,
            )
        });
        scratch.state.database.close().await;
        assert!(assembled.problems.is_empty(), "{:?}", assembled.problems);
        let operation = &assembled.document["paths"]["/v1/dev/user/count"]["get"];
        assert_eq!(
            operation["security"],
            serde_json::json!([{"developerKey": []}])
        );
        let responses = &operation["responses"];
        assert!(responses["401"]["headers"]
            .get("X-RateLimit-Limit")
            .is_none());
        assert_eq!(responses["429"]["headers"]["Retry-After"]["required"], true);
        assert_eq!(
            responses["200"]["headers"]["X-RateLimit-Remaining"]["required"],
            true
        );
    }
}
