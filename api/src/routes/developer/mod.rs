//! The developer API (`/v1/dev/user/*`, spec §7.4): the user's memories, action items and conversations for
//! scripts, authenticated by `omi_dev_` keys with scopes and rate-limited per key and per user. Every write
//! records the key as the actor. The handlers reuse the read models and commands of the app's routes.
//!
//! Goals (`/v1/dev/user/goals*`) are not offered: there is no goal aggregate yet. Nor are the newer endpoints
//! (folders, ask, daily summaries).
//!
//! The scope is checked before the body or the query is looked at (both are taken as `Result`s), so a key
//! without the scope gets 403 whatever it sent.

mod action_items;
mod conversations;
mod memories;

use axum::{middleware, Json, Router};
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult, Problem};
use crate::key_auth;
use crate::state::AppState;

/// The routes of the developer API, behind key authentication and rate limits.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(memories::router())
        .merge(action_items::router())
        .merge(conversations::router())
        .route_layer(middleware::from_fn_with_state(state, key_auth::developer))
}

/// The largest page a developer list returns.
const MAX_LIMIT: i64 = 1_000;

/// `{"success": true}`, the answer of deletes.
fn success() -> Json<Value> {
    Json(json!({ "success": true }))
}

/// 422 unless `1 <= limit <= MAX_LIMIT` and `offset >= 0`.
fn check_page(limit: i64, offset: i64) -> ApiResult<()> {
    let mut problems = Vec::new();
    if !(1..=MAX_LIMIT).contains(&limit) {
        problems.push(Problem::new(
            "query.limit",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    if offset < 0 {
        problems.push(Problem::new("query.offset", "offset must not be negative"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(problems))
    }
}

/// 422 at `loc` unless `text` (trimmed) holds between 1 and `max` characters.
fn check_length(loc: &str, field: &str, text: &str, max: usize) -> ApiResult<()> {
    let chars = text.trim().chars().count();
    if (1..=max).contains(&chars) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            loc,
            format!("{field} must hold between 1 and {max} characters"),
        ))
    }
}
