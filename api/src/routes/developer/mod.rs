//! The developer API (`/v1/dev/user/*`, spec §7.4): the user's memories, action items and conversations for
//! scripts, authenticated by `omi_dev_` keys with scopes and rate-limited per key and per user. Every write
//! records the key as the actor. The handlers reuse the read models and commands of the app's routes.

mod memories;

use axum::{middleware, Router};

use crate::key_auth;
use crate::state::AppState;

/// The routes of the developer API, behind key authentication and rate limits.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(memories::router())
        .route_layer(middleware::from_fn_with_state(state, key_auth::developer))
}
