//! The one error type of the HTTP layer and its JSON shape: `{"detail": ...}`.

use aide::generate::GenContext;
use aide::openapi::{Operation, StatusCode as DocumentedStatus};
use aide::OperationOutput;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use omi_commands::CommandError;
use omi_domain::DomainError;
use omi_projections::ProjectionError;
use schemars::JsonSchema;
use serde::Serialize;

use crate::openapi::{ensure_response, json_response, output_schema};

/// One problem with a request, in FastAPI's validation-error shape.
#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Problem {
    /// Where: `["body", "content"]`, `["query", "limit"]`, ...
    pub loc: Vec<String>,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl Problem {
    /// A problem at `loc` (a path such as `body.content`).
    pub fn new(loc: &str, msg: impl Into<String>) -> Self {
        Self {
            loc: loc.split('.').map(String::from).collect(),
            msg: msg.into(),
            kind: "value_error".into(),
        }
    }
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("validation failed")]
    Validation(Vec<Problem>),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    Unavailable(String),
    /// Something the server fetched for the request (an app's manifest) failed or was unusable.
    #[error("{0}")]
    BadGateway(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Results of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A 422 with one problem.
    pub fn invalid(loc: &str, msg: impl Into<String>) -> Self {
        ApiError::Validation(vec![Problem::new(loc, msg)])
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The body of every error but 422: `{"detail": "message"}`.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody {
    pub detail: String,
}

/// The body of a 422: `{"detail": [problems]}`.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "ValidationError")]
pub struct ValidationBody {
    pub detail: Vec<Problem>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = match self {
            ApiError::Validation(problems) => {
                (status, axum::Json(ValidationBody { detail: problems })).into_response()
            }
            ApiError::Internal(message) => {
                tracing::error!(%message, "internal error");
                let detail = "Internal server error".to_string();
                (status, axum::Json(ErrorBody { detail })).into_response()
            }
            other => {
                let detail = other.to_string();
                (status, axum::Json(ErrorBody { detail })).into_response()
            }
        };
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The 422 answer: the problems with the request.
pub(crate) fn validation_response(ctx: &mut GenContext) -> aide::openapi::Response {
    json_response(
        "Invalid input: where (`loc`) and what (`msg`) for each problem",
        output_schema::<ValidationBody>(ctx),
    )
}

/// An error answer `{"detail": "message"}` described as `description`.
pub(crate) fn error_response(ctx: &mut GenContext, description: &str) -> aide::openapi::Response {
    json_response(description, output_schema::<ErrorBody>(ctx))
}

/// A handler's `ApiError`: 422 with the problems, and any other failure (404, 409, 400, 403, 500, …) as the
/// default response `{"detail": "message"}`. Extractors add the statuses they answer themselves (401, 413).
impl OperationOutput for ApiError {
    type Inner = ErrorBody;

    fn operation_response(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Option<aide::openapi::Response> {
        Some(error_response(ctx, "The request failed"))
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<DocumentedStatus>, aide::openapi::Response)> {
        ensure_response(operation, Some(422), || validation_response(ctx));
        ensure_response(operation, None, || {
            error_response(
                ctx,
                "The request failed (not found, conflict, forbidden, …)",
            )
        });
        Vec::new()
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            DomainError::Invalid(message) => ApiError::invalid("body", message),
            DomainError::Conflict(message) => ApiError::Conflict(message),
        }
    }
}

impl From<CommandError<DomainError>> for ApiError {
    fn from(error: CommandError<DomainError>) -> Self {
        match error {
            CommandError::Domain(error) => error.into(),
            CommandError::Conflict => {
                ApiError::Conflict(CommandError::<DomainError>::Conflict.to_string())
            }
            // The door let through text the log cannot store: refused before anything was appended.
            CommandError::Unstorable(message) => ApiError::invalid("request", message),
            CommandError::Store(message) => ApiError::Internal(message),
        }
    }
}

impl From<ProjectionError> for ApiError {
    fn from(error: ProjectionError) -> Self {
        ApiError::Internal(error.to_string())
    }
}
