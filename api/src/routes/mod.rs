//! The HTTP routes, one module per Omi router, assembled with the cross-cutting layers.

pub(crate) mod action_items;
pub(crate) mod conversations;
mod developer;
mod health;
mod keys;
pub(crate) mod memories;

use aide::axum::ApiRouter;
use axum::extract::DefaultBodyLimit;
use axum::{middleware, Json, Router};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::openapi::{assemble, Assembled};
use crate::request_id;
use crate::state::AppState;

/// Every route, and the OpenAPI document of those that describe themselves (`/openapi.json`, `/docs`).
pub fn documented(state: AppState) -> Assembled {
    assemble(|| {
        ApiRouter::new()
            .merge(health::router())
            .merge(crate::metrics::router())
            .merge(memories::router())
            .merge(action_items::router())
            .merge(conversations::router())
            .merge(crate::listen::router())
            .merge(keys::router())
            .merge(developer::router(state.clone()))
            .merge(crate::mcp::router(state))
    })
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let requests = state.requests.clone();
    let Assembled {
        router, problems, ..
    } = documented(state.clone());
    for problem in problems {
        tracing::warn!(%problem, "the OpenAPI document");
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(
            requests,
            crate::metrics::track,
        ))
        .layer(middleware::from_fn(request_id::track))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("Not Found".into())
}

async fn method_not_allowed() -> (axum::http::StatusCode, Json<Value>) {
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({ "detail": "Method Not Allowed" })),
    )
}

/// `{"status": "ok"}`: the answer of an action that returns nothing else.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub(crate) struct StatusOk {
    status: Done,
}

/// The only status an answer of [`StatusOk`] or [`Deleted`] has.
#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Done {
    #[default]
    Ok,
}

/// `{"status": "ok", "deleted_count": n}`: how many things a delete-all removed.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Deleted {
    status: Done,
    deleted_count: usize,
}

impl Deleted {
    pub(crate) fn new(deleted_count: usize) -> Deleted {
        Deleted {
            status: Done::Ok,
            deleted_count,
        }
    }
}
