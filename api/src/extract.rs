//! Request extractors whose failures speak the API's error shape: JSON bodies and query strings (422 with the
//! problems, 413 when too large), and the authenticated user.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use omi_commands::{Actor, Metadata};
use serde::de::DeserializeOwned;

use crate::auth::AuthError;
use crate::error::{ApiError, Problem};
use crate::request_id::RequestId;
use crate::state::AppState;

/// A JSON body of type `T`.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest(rejection.body_text())
                }
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::invalid("body", "Field required"));
        }
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut deserializer)
            .map(Body)
            .map_err(|error| {
                problem(
                    "body",
                    error.path().to_string(),
                    error.into_inner().to_string(),
                )
            })
    }
}

/// Query parameters of type `T`.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(Params)
            .map_err(|error| {
                problem(
                    "query",
                    error.path().to_string(),
                    error.into_inner().to_string(),
                )
            })
    }
}

fn problem(place: &str, path: String, message: String) -> ApiError {
    let loc = if path == "." || path.is_empty() {
        place.to_string()
    } else {
        format!("{place}.{path}")
    };
    ApiError::Validation(vec![Problem::new(&loc, message)])
}

/// All `name=value` pairs of the query string, in order, for parameters that may repeat.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(QueryPairs)
            .map_err(|e| ApiError::invalid("query", e.to_string()))
    }
}

impl QueryPairs {
    /// Every value of `name`, with comma-separated values split.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .flat_map(|(_, value)| value.split(','))
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(String::from)
            .collect()
    }
}

/// The user a request acts for, authenticated by a user token (local or Firebase, or admin impersonation).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub uid: String,
    pub request_id: String,
}

impl CurrentUser {
    /// The metadata of the events this request records.
    pub fn metadata(&self) -> Metadata {
        Metadata::new(self.uid.clone(), Actor::User, self.request_id.clone())
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|value| value.to_str().unwrap_or_default());
        let uid = state
            .auth
            .authenticate(header)
            .await
            .map_err(|error| match error {
                AuthError::KeysUnavailable => ApiError::Unavailable(error.to_string()),
                other => ApiError::Unauthorized(other.to_string()),
            })?;
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        Ok(CurrentUser { uid, request_id })
    }
}
