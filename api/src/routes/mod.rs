//! The HTTP routes, one module per Omi router, assembled with the cross-cutting layers.

pub(crate) mod action_items;
mod app_imports;
mod apps;
mod apps_admin;
mod apps_catalog;
mod apps_form;
mod apps_webhooks;
mod changes;
mod chat;
pub(crate) mod conversations;
mod daily_summaries;
mod folders;
mod goals;
mod health;
mod integrations;
mod keys;
mod leaving;
pub(crate) mod memories;
mod notifications;
mod people;
mod search;
mod trends;
mod users;
mod webhooks;
mod wrapped;

use aide::axum::ApiRouter;
use axum::extract::DefaultBodyLimit;
use axum::{middleware, Json, Router};
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
            .merge(changes::router())
            .merge(chat::router())
            .merge(conversations::router())
            .merge(daily_summaries::router())
            .merge(folders::router())
            .merge(goals::router())
            .merge(apps::router())
            .merge(apps_catalog::router())
            .merge(apps_admin::router())
            .merge(apps_webhooks::router())
            .merge(app_imports::router())
            .merge(trends::router())
            .merge(users::router())
            .merge(integrations::router())
            .merge(notifications::router())
            .merge(webhooks::router())
            .merge(people::router())
            .merge(search::router())
            .merge(crate::listen::router())
            .merge(keys::router())
            .merge(leaving::router())
            .merge(wrapped::router())
            .merge(crate::developer::router(state.clone()))
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
