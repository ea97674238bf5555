//! The operators' routes (`POST /v1/notification` …): the `secret-key` header must be the configured `ADMIN_KEY`,
//! compared in constant time, else 403 "You are not authorized to perform this action" (spec §1.1). Without an
//! `ADMIN_KEY` every such request is refused the same way.

use aide::generate::GenContext;
use aide::openapi::Operation;
use aide::OperationInput;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::{constant_time_eq, Authenticator};
use crate::error::{error_response, ApiError};
use crate::openapi::{ensure_response, ensure_security};
use crate::request_id::RequestId;
use crate::state::AppState;

/// The refusal of a request without the admin secret.
pub const NOT_AUTHORIZED: &str = "You are not authorized to perform this action";

impl Authenticator {
    /// Whether `secret` is the configured admin key.
    pub fn is_admin_secret(&self, secret: Option<&str>) -> bool {
        match (self.admin_key.as_deref(), secret) {
            (Some(admin), Some(secret)) => constant_time_eq(admin.as_bytes(), secret.as_bytes()),
            _ => false,
        }
    }
}

/// A request that carries the admin secret, with its request id (the correlation id of what it records).
pub struct Admin {
    pub request_id: String,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret = parts
            .headers
            .get("secret-key")
            .and_then(|value| value.to_str().ok());
        if !state.auth.is_admin_secret(secret) {
            return Err(ApiError::Forbidden(NOT_AUTHORIZED.into()));
        }
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        Ok(Admin { request_id })
    }
}

impl OperationInput for Admin {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        ensure_security(operation, "adminSecret");
        ensure_response(operation, Some(403), || {
            error_response(ctx, "Without the admin secret")
        });
    }
}
