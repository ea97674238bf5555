//! The one error type of the HTTP layer and its JSON shape: `{"detail": ...}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use omi_commands::CommandError;
use omi_domain::DomainError;
use omi_projections::ProjectionError;
use serde::Serialize;
use serde_json::json;

/// One problem with a request, in FastAPI's validation-error shape.
#[derive(Debug, Clone, Serialize, PartialEq)]
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
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            ApiError::Validation(problems) => json!(problems),
            ApiError::Internal(message) => {
                tracing::error!(%message, "internal error");
                json!("Internal server error")
            }
            other => json!(other.to_string()),
        };
        let mut response = (status, axum::Json(json!({ "detail": detail }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
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
