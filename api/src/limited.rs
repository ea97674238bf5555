//! Answers of rate-limited routes: with the `X-RateLimit-*` headers of the policy that counted the request, on
//! success and on refusal (and `Retry-After` on 429), documented as such in OpenAPI.

use aide::generate::GenContext;
use aide::openapi::Operation;
use aide::OperationOutput;
use axum::response::{IntoResponse, Response};
use axum::Json;
use schemars::JsonSchema;
use serde::Serialize;

use crate::error::{error_response, ApiError};
use crate::openapi::ensure_response;
use crate::rate_limit::Decision;

/// A failed request, with the `X-RateLimit-*` headers when it was counted.
pub struct Refused(pub ApiError, pub Option<Decision>);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        if let Some(decision) = self.1 {
            response.headers_mut().extend(decision.headers());
        }
        response
    }
}

impl OperationOutput for Refused {
    type Inner = <ApiError as OperationOutput>::Inner;

    fn operation_response(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Option<aide::openapi::Response> {
        ApiError::operation_response(ctx, operation)
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<aide::openapi::StatusCode>, aide::openapi::Response)> {
        ApiError::inferred_responses(ctx, operation)
    }
}

/// An answer with the `X-RateLimit-*` headers of the policy that counted its request.
pub struct Limited<T>(pub Decision, pub Json<T>);

impl<T: Serialize> IntoResponse for Limited<T> {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        response.headers_mut().extend(self.0.headers());
        response
    }
}

impl<T: Serialize + JsonSchema> OperationOutput for Limited<T> {
    type Inner = T;

    fn operation_response(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Option<aide::openapi::Response> {
        Json::<T>::operation_response(ctx, operation)
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<aide::openapi::StatusCode>, aide::openapi::Response)> {
        ensure_response(operation, Some(429), || {
            error_response(
                ctx,
                "Over the rate limit; Retry-After says when to try again",
            )
        });
        Json::<T>::inferred_responses(ctx, operation)
    }
}
